// The sqs-consumer package (v11), unchanged, against Sluice end to end.
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, sleep } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

async function sendN(url: string, n: number, group?: (i: number) => string) {
  for (let i = 0; i < n; i += 10) {
    const Entries = [];
    for (let j = i; j < Math.min(n, i + 10); j++) {
      Entries.push({ Id: `e${j - i}`, MessageBody: `msg-${j}`, ...(group ? { MessageGroupId: group(j), MessageDeduplicationId: `d${j}` } : {}) });
    }
    const r = await t.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    expect(r.Failed ?? []).toEqual([]);
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

describe('sqs-consumer', () => {
  it('consumes N messages, handling each once and deleting it', { timeout: 20_000 }, async () => {
    const url = await createQueue(t, 'consumer', { VisibilityTimeout: '30' });
    const N = 200;
    await sendN(url, N);
    const handled = new Map<string, number>();
    const errors: Error[] = [];
    let deleted = 0;
    const consumer = Consumer.create({
      queueUrl: url,
      sqs: t.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      pollingWaitTimeMs: 0,
      handleMessage: async (m: Message) => {
        handled.set(m.Body!, (handled.get(m.Body!) ?? 0) + 1);
        return m;
      },
    });
    consumer.on('error', (e) => {
      // stop({ abort: true }) aborts the poll in progress; anything else is a failure.
      if ((e as { code?: string }).code !== 'AbortError') errors.push(e);
    });
    consumer.on('processing_error', (e) => errors.push(e));
    consumer.on('message_processed', () => deleted++);
    consumer.start();
    try {
      await until(() => deleted >= N, 15_000);
      await until(async () => (await counts(t, url)).inflight === 0, 5_000);
    } finally {
      consumer.stop({ abort: true });
    }
    expect(errors).toEqual([]);
    expect(handled.size).toBe(N);
    for (const [body, n] of handled) expect(n, body).toBe(1);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('a failing handler leaves the message for redelivery; it is handled again and then deleted', { timeout: 20_000 }, async () => {
    const url = await createQueue(t, 'consumer-retry', { VisibilityTimeout: '1' });
    await sendN(url, 5);
    const attempts = new Map<string, number>();
    const consumer = Consumer.create({
      queueUrl: url,
      sqs: t.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      pollingWaitTimeMs: 0,
      handleMessage: async (m: Message) => {
        const n = (attempts.get(m.Body!) ?? 0) + 1;
        attempts.set(m.Body!, n);
        if (m.Body === 'msg-2' && n === 1) throw new Error('first attempt fails');
        return m;
      },
    });
    const errors: Error[] = [];
    consumer.on('processing_error', () => undefined);
    consumer.on('error', (e) => {
      if ((e as { code?: string }).code !== 'AbortError') errors.push(e);
    });
    consumer.start();
    try {
      await until(async () => attempts.get('msg-2') === 2 && (await counts(t, url)).visible + (await counts(t, url)).inflight === 0, 15_000);
    } finally {
      consumer.stop({ abort: true });
    }
    expect(errors).toEqual([]);
    expect(attempts.get('msg-2')).toBe(2);
    for (const b of ['msg-0', 'msg-1', 'msg-3', 'msg-4']) expect(attempts.get(b), b).toBe(1);
  });

  it('batch mode on a FIFO queue keeps each group in order', { timeout: 20_000 }, async () => {
    const url = await createQueue(t, 'consumer-fifo', { FifoQueue: 'true', VisibilityTimeout: '30' });
    const N = 60;
    await sendN(url, N, (i) => `g${i % 3}`);
    const seen: string[] = [];
    const consumer = Consumer.create({
      queueUrl: url,
      sqs: t.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      pollingWaitTimeMs: 0,
      suppressFifoWarning: true,
      handleMessageBatch: async (ms: Message[]) => {
        seen.push(...ms.map((m) => m.Body!));
        return ms;
      },
    });
    const errors: Error[] = [];
    consumer.on('error', (e) => {
      if ((e as { code?: string }).code !== 'AbortError') errors.push(e);
    });
    consumer.start();
    try {
      await until(() => seen.length >= N, 15_000);
    } finally {
      consumer.stop({ abort: true });
    }
    expect(errors).toEqual([]);
    expect(seen).toHaveLength(N);
    for (let g = 0; g < 3; g++) {
      const nums = seen.map((b) => Number(b.slice(4))).filter((i) => i % 3 === g);
      expect(nums).toEqual([...nums].sort((a, b) => a - b));
    }
  });
});
