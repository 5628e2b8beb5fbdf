// Past the payload memory budget, message bodies live in the spill file and are read back on
// delivery: a queue can hold more than the budget, every body comes back intact (the SDK checks
// MD5OfBody), and a restart rebuilds the same state from the log.
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MESSAGES = 3_000; // 3,000 × 1 KiB = 3 MiB against a 1 MiB budget

describe('payloads past the memory budget', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ payloadMemoryMb: 1 });
  });
  afterAll(async () => t.close());

  it('keeps bodies on disk past the budget and delivers them intact', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'spill' }));
    const body = (i: number) => `${String(i).padStart(6, '0')}:${'x'.repeat(1017)}`;
    for (let i = 0; i < MESSAGES; i += 10) {
      const Entries = Array.from({ length: 10 }, (_, k) => ({ Id: String(k), MessageBody: body(i + k) }));
      const r = await t.client.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
      expect(r.Failed ?? []).toEqual([]);
    }
    const stats = t.server.core.stats() as { spill: { residentBytes: number; spilledMessages: number } };
    expect(stats.spill.residentBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.spill.spilledMessages).toBeGreaterThan(MESSAGES / 2);
    const seen = new Set<string>();
    while (seen.size < MESSAGES) {
      const r = await t.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }));
      expect(r.Messages?.length).toBeGreaterThan(0);
      for (const m of r.Messages!) {
        const i = Number(m.Body!.slice(0, 6));
        expect(m.Body).toBe(body(i));
        seen.add(m.Body!);
      }
      await t.client.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: r.Messages!.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle! })) }),
      );
    }
    const after = t.server.core.stats() as { spill: { residentBytes: number; spilledMessages: number } };
    expect(after.spill).toEqual({ residentBytes: 0, spilledMessages: 0 });
  });
});
