// Several HTTP worker threads share one core: a send taken by one worker wakes a receive
// parked on another, and every worker sees the same queues.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnSluice, type Child } from '../helpers/process.js';

describe('worker threads', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-workers-'));
  let s: Child;
  const clients: SQSClient[] = [];
  beforeAll(async () => {
    s = await spawnSluice(dir, ['--workers', '2', '--durability', 'memory'], await freePort());
    // Separate clients (separate connections), so SO_REUSEPORT spreads them over both workers.
    for (let i = 0; i < 8; i++) {
      clients.push(new SQSClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }));
    }
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wakes long polls parked on any worker from a send on any worker', async () => {
    const { QueueUrl } = await clients[0]!.send(new CreateQueueCommand({ QueueName: 'shared' }));
    const started = Date.now();
    const polls = clients.slice(0, 6).map((c) =>
      c.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 1 })),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 6; i++) await clients[6 + (i % 2)]!.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    const got = await Promise.all(polls);
    const bodies = got.flatMap((r) => r.Messages?.map((m) => m.Body) ?? []).sort();
    expect(bodies).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
