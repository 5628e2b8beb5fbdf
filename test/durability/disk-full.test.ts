// A full disk: sends and receives fail with ServiceUnavailable (never hang; nothing acknowledged
// without being stored, no lease handed out without its record), and the broker recovers by
// itself when space returns.
// Needs a small tmpfs (root); skipped, saying why, where mounting is not allowed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSluice, type Child } from '../helpers/process.js';

const mnt = mkdtempSync(path.join(tmpdir(), 'sluice-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'ignore' });
  mounted = true;
} catch {
  // not root, or no mount namespace: reported by the skip below
}

describe.skipIf(!mounted)('disk full (needs `mount -t tmpfs`, i.e. root)', () => {
  let s: Child;
  const filler = path.join(mnt, 'filler');
  beforeAll(async () => {
    mkdirSync(path.join(mnt, 'data'));
    // Leave about 1.5 MiB free for the log.
    writeFileSync(filler, Buffer.alloc(6_500_000, 1));
    s = await spawnSluice(path.join(mnt, 'data'));
  });
  afterAll(async () => {
    await s?.stop();
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('fails sends and receives with 503 while full, and recovers when space returns', async () => {
    const { QueueUrl } = await s.client.send(new CreateQueueCommand({ QueueName: 'full' }));
    const body = 'x'.repeat(200_000);
    let acked = 0;
    let failure: unknown;
    for (let i = 0; i < 40 && !failure; i++) {
      try {
        await s.client.send(new SendMessageCommand({ QueueUrl, MessageBody: `${i}:${body}` }));
        acked++;
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toMatchObject({ $metadata: { httpStatusCode: 503 } });
    expect(acked).toBeGreaterThan(0);
    // A receive would lease a message whose lease cannot be recorded: refused, nothing leased.
    await expect(s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
    const counts = await s.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(counts.Attributes?.['ApproximateNumberOfMessagesNotVisible']).toBe('0');
    expect(Number(counts.Attributes?.['ApproximateNumberOfMessages'])).toBeGreaterThanOrEqual(acked);
    // Free the space: within a few polls the log retries and sends succeed again.
    rmSync(filler);
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      await new Promise((res) => setTimeout(res, 250));
      try {
        await s.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after' }));
        recovered = true;
      } catch {
        // still refusing
      }
    }
    expect(recovered).toBe(true);
    const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    expect(r.Messages?.length).toBe(1);
    await s.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: r.Messages![0]!.ReceiptHandle! }));
  }, 60_000);
});
