// Long polling: WaitTimeSeconds and the queue's ReceiveMessageWaitTimeSeconds; a waiting receive
// answers as soon as a message is available, not at the end of the wait.
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createQueue, E, expectError, receive, sleep } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const send = (QueueUrl: string, MessageBody: string, extra: Record<string, unknown> = {}) =>
  t.client.send(new SendMessageCommand({ QueueUrl, MessageBody, ...extra }));

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await p;
  return { value, ms: performance.now() - start };
}

describe('long polling', () => {
  it('an empty queue waits out WaitTimeSeconds, then answers with no messages', async () => {
    const url = await createQueue(t, 'lp-empty');
    const { value, ms } = await timed(receive(t, url, { WaitTimeSeconds: 1 }));
    expect(value).toHaveLength(0);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2_500);
  });

  it('WaitTimeSeconds 0 answers at once', async () => {
    const url = await createQueue(t, 'lp-zero', { ReceiveMessageWaitTimeSeconds: '20' });
    const { value, ms } = await timed(receive(t, url, { WaitTimeSeconds: 0 }));
    expect(value).toHaveLength(0);
    expect(ms).toBeLessThan(500);
  });

  it('returns as soon as a message is sent, well before the wait ends', async () => {
    const url = await createQueue(t, 'lp-wake');
    const pending = timed(receive(t, url, { WaitTimeSeconds: 20 }));
    await sleep(200);
    const sent = await send(url, 'wake up');
    const { value, ms } = await pending;
    expect(value.map((m) => m.MessageId)).toEqual([sent.MessageId]);
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(2_000);
  });

  it("uses the queue's ReceiveMessageWaitTimeSeconds when the receive gives none", async () => {
    const url = await createQueue(t, 'lp-queue-wait', { ReceiveMessageWaitTimeSeconds: '1' });
    const empty = await timed(receive(t, url));
    expect(empty.value).toHaveLength(0);
    expect(empty.ms).toBeGreaterThanOrEqual(950);

    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ReceiveMessageWaitTimeSeconds: '20' } }));
    const pending = timed(receive(t, url));
    await sleep(200);
    await send(url, 'x');
    const { value, ms } = await pending;
    expect(value).toHaveLength(1);
    expect(ms).toBeLessThan(2_000);
  });

  it('several waiters each get a different message', async () => {
    const url = await createQueue(t, 'lp-many');
    const pending = Array.from({ length: 4 }, () => timed(receive(t, url, { WaitTimeSeconds: 10 })));
    await sleep(200);
    for (let i = 0; i < 4; i++) await send(url, `m${i}`);
    const results = await Promise.all(pending);
    const bodies = results.flatMap((r) => r.value.map((m) => m.Body)).sort();
    expect(bodies).toEqual(['m0', 'm1', 'm2', 'm3']);
    for (const r of results) expect(r.ms).toBeLessThan(3_000);
  });

  it('wakes when an in-flight message is made visible by ChangeMessageVisibility 0', async () => {
    const url = await createQueue(t, 'lp-cmv');
    await send(url, 'x');
    const [m] = await receive(t, url);
    const pending = timed(receive(t, url, { WaitTimeSeconds: 10 }));
    await sleep(200);
    await t.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
    const { value, ms } = await pending;
    expect(value.map((x) => x.MessageId)).toEqual([m!.MessageId]);
    expect(ms).toBeLessThan(2_000);
  });

  it('wakes when a visibility timeout expires', async () => {
    const url = await createQueue(t, 'lp-expiry', { VisibilityTimeout: '1' });
    await send(url, 'x');
    await receive(t, url);
    const { value, ms } = await timed(receive(t, url, { WaitTimeSeconds: 10 }));
    expect(value).toHaveLength(1);
    expect(ms).toBeLessThan(3_000);
  });

  it('wakes when a delayed message becomes visible', async () => {
    const url = await createQueue(t, 'lp-delay');
    await send(url, 'later', { DelaySeconds: 1 });
    const { value, ms } = await timed(receive(t, url, { WaitTimeSeconds: 10 }));
    expect(value.map((m) => m.Body)).toEqual(['later']);
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(3_000);
  });

  it('a long poll with MaxNumberOfMessages gathers what is there when it wakes', async () => {
    const url = await createQueue(t, 'lp-batch');
    const pending = receive(t, url, { WaitTimeSeconds: 5, MaxNumberOfMessages: 10 });
    await sleep(100);
    await send(url, 'first');
    const got = await pending;
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got[0]!.Body).toBe('first');
  });

  it.each([-1, 21])('rejects WaitTimeSeconds %i', async (WaitTimeSeconds) => {
    const url = await createQueue(t, 'lp-range');
    await expectError(
      t.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds })),
      E.invalidParameterValue(`Value ${WaitTimeSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`),
    );
  });
});
