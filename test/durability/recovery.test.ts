// Restart (clean and kill -9) recovers the exact state: queues, attributes, tags, messages,
// receive counts, FIFO dedup windows and sequence numbers; checkpoints; corrupt logs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSluice } from '../helpers/process.js';

const MAIN = path.resolve(import.meta.dirname, '../../dist/src/main.js');
const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sluice-recovery-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function populate(dir: string) {
  const s = await spawnSluice(dir, ['--test-clock']);
  const std = (await s.client.send(new CreateQueueCommand({
    QueueName: 'orders',
    Attributes: { VisibilityTimeout: '1', DelaySeconds: '0', MessageRetentionPeriod: '3600' },
    tags: { team: 'pay', env: 'test' },
  }))).QueueUrl!;
  const fifo = (await s.client.send(new CreateQueueCommand({
    QueueName: 'events.fifo',
    Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
  }))).QueueUrl!;
  for (let i = 0; i < 20; i++) await s.client.send(new SendMessageCommand({ QueueUrl: std, MessageBody: `m${i}` }));
  // Receive five (counts go to 1), let the lease run out.
  const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl: std, MaxNumberOfMessages: 5 }));
  expect(r.Messages).toHaveLength(5);
  const f1 = await s.client.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
  return { s, std, fifo, f1 };
}

async function verify(dir: string, f1: { MessageId?: string; SequenceNumber?: string }, extra: string[] = []) {
  const s = await spawnSluice(dir);
  const std = `${s.endpoint}/000000000000/orders`;
  const fifo = `${s.endpoint}/000000000000/events.fifo`;
  const list = await s.client.send(new ListQueuesCommand({}));
  expect(list.QueueUrls?.map((u) => u.split('/').pop()).sort()).toEqual(['events.fifo', 'orders', ...extra].sort());
  const attrs = (await s.client.send(new GetQueueAttributesCommand({ QueueUrl: std, AttributeNames: ['All'] }))).Attributes!;
  expect(attrs['VisibilityTimeout']).toBe('1');
  expect(attrs['MessageRetentionPeriod']).toBe('3600');
  expect(Number(attrs['ApproximateNumberOfMessages']) + Number(attrs['ApproximateNumberOfMessagesNotVisible'])).toBe(20);
  const tags = await s.client.send(new ListQueueTagsCommand({ QueueUrl: std }));
  expect(tags.Tags).toEqual({ team: 'pay', env: 'test' });
  // After the leases from before the restart run out, all 20 come back; 5 were received once.
  await new Promise((r) => setTimeout(r, 1100));
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl: std, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    for (const m of r.Messages ?? []) counts.push(Number(m.Attributes!['ApproximateReceiveCount']));
  }
  expect(counts).toHaveLength(20);
  expect(counts.filter((c) => c === 2)).toHaveLength(5);
  // A FIFO retry with the same dedup id inside 5 minutes is still deduplicated.
  const again = await s.client.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
  expect(again.MessageId).toBe(f1.MessageId);
  const next = await s.client.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'twice', MessageGroupId: 'g', MessageDeduplicationId: 'd2' }));
  expect(BigInt(next.SequenceNumber!)).toBeGreaterThan(BigInt(f1.SequenceNumber!));
  const fr = await s.client.send(new ReceiveMessageCommand({ QueueUrl: fifo, MaxNumberOfMessages: 10 }));
  expect(fr.Messages?.map((m) => m.Body)).toEqual(['once', 'twice']);
  expect(await s.stop()).toBe(0);
}

describe('recovery', () => {
  it('restores the exact state after a clean stop', async () => {
    const dir = dataDir();
    const { s, f1 } = await populate(dir);
    expect(await s.stop()).toBe(0);
    await verify(dir, f1);
  });

  it('restores the exact state after kill -9', async () => {
    const dir = dataDir();
    const { s, f1 } = await populate(dir);
    await s.kill9();
    await verify(dir, f1);
  });

  it('restores the exact state from a checkpoint plus the log after it', async () => {
    const dir = dataDir();
    const { s, std, f1 } = await populate(dir);
    const before = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const r = await fetch(`${s.endpoint}/_sluice/checkpoint`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(readdirSync(dir).some((f) => /snap/i.test(f))).toBe(true);
    // Changes after the checkpoint are in the log only: a sent-and-deleted message stays gone.
    const after = (await s.client.send(new CreateQueueCommand({ QueueName: 'after' }))).QueueUrl!;
    await s.client.send(new SendMessageCommand({ QueueUrl: after, MessageBody: 'late' }));
    const got = await s.client.send(new ReceiveMessageCommand({ QueueUrl: after }));
    expect(got.Messages?.[0]?.Body).toBe('late');
    await s.client.send(new DeleteMessageCommand({ QueueUrl: after, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    await s.client.send(new SendMessageCommand({ QueueUrl: after, MessageBody: 'kept' }));
    await s.kill9();
    expect(before.length).toBeGreaterThan(0);
    await verify(dir, f1, ['after']);
    const s2 = await spawnSluice(dir);
    const left = await s2.client.send(new ReceiveMessageCommand({ QueueUrl: `${s2.endpoint}/000000000000/after`, MaxNumberOfMessages: 10 }));
    expect(left.Messages?.map((m) => m.Body)).toEqual(['kept']);
    await s2.stop();
  });

  it('refuses to start on a corrupt log, naming file and offset, and `sluice check` says the same', async () => {
    const dir = dataDir();
    const { s } = await populate(dir);
    expect(await s.stop()).toBe(0);
    const seg = readdirSync(dir).filter((f) => f.endsWith('.log')).sort()[0]!;
    const file = path.join(dir, seg);
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
    const check = spawnSync(process.execPath, [MAIN, 'check', dir], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain(seg);
    expect(check.stderr).toMatch(/offset|@|byte/i);
    await expect(spawnSluice(dir)).rejects.toThrow(new RegExp(seg));
  });

  it('truncates a torn record at the tail and starts', async () => {
    const dir = dataDir();
    const { s, f1 } = await populate(dir);
    expect(await s.stop()).toBe(0);
    const seg = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().pop()!;
    const file = path.join(dir, seg);
    const size = statSync(file).size;
    // Half a record: a length prefix promising more bytes than follow.
    appendFileSync(file, Buffer.from([0x40, 0, 0, 0, 1, 2, 3]));
    expect(statSync(file).size).toBe(size + 7);
    const check = spawnSync(process.execPath, [MAIN, 'check', dir], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(JSON.parse(check.stdout).truncatedTail).toContain(seg);
    await verify(dir, f1);
  });
});
