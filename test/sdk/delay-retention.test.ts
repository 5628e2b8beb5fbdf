// Queue and per-message DelaySeconds, and MessageRetentionPeriod expiry (on the broker's test
// clock, moved with t.advance).
import { SendMessageBatchCommand, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, E, expectError, receive } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const send = (QueueUrl: string, MessageBody: string, extra: Record<string, unknown> = {}) =>
  t.client.send(new SendMessageCommand({ QueueUrl, MessageBody, ...extra }));

describe('delay', () => {
  it('holds every message for the queue DelaySeconds', async () => {
    const url = await createQueue(t, 'qdelay', { DelaySeconds: '60' });
    await send(url, 'x');
    expect(await receive(t, url)).toHaveLength(0);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 1 });
    await t.advance(59_000);
    expect(await receive(t, url)).toHaveLength(0);
    await t.advance(1_500);
    expect(await counts(t, url)).toEqual({ visible: 1, inflight: 0, delayed: 0 });
    expect(await receive(t, url)).toHaveLength(1);
  });

  it('a per-message DelaySeconds overrides the queue delay, 0 included', async () => {
    const url = await createQueue(t, 'mdelay', { DelaySeconds: '60', VisibilityTimeout: '43200' });
    await send(url, 'now', { DelaySeconds: 0 });
    await send(url, 'ten', { DelaySeconds: 10 });
    await send(url, 'max', { DelaySeconds: 900 });
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['now']);
    expect(await counts(t, url)).toMatchObject({ delayed: 2 });
    await t.advance(10_500);
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['ten']);
    await t.advance(890_000);
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['max']);
  });

  it('per-entry delays in SendMessageBatch', async () => {
    const url = await createQueue(t, 'bdelay', { VisibilityTimeout: '43200' });
    await t.client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b', DelaySeconds: 30 },
        ],
      }),
    );
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['a']);
    await t.advance(31_000);
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['b']);
  });

  it('changing the queue delay does not move messages already sent', async () => {
    const url = await createQueue(t, 'delay-change', { DelaySeconds: '100', VisibilityTimeout: '43200' });
    await send(url, 'old');
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: '0' } }));
    await send(url, 'new');
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['new']);
    await t.advance(101_000);
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['old']);
  });

  it.each([-1, 901])('rejects DelaySeconds %i', async (DelaySeconds) => {
    const url = await createQueue(t, 'delay-range');
    await expectError(
      send(url, 'x', { DelaySeconds }),
      E.invalidParameterValue(`Value ${DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`),
    );
  });
});

describe('retention', () => {
  it('drops a message once MessageRetentionPeriod has passed since it was sent', async () => {
    const url = await createQueue(t, 'retain', { MessageRetentionPeriod: '60' });
    await send(url, 'short-lived');
    await t.advance(59_000);
    expect(await counts(t, url)).toMatchObject({ visible: 1 });
    await t.advance(1_500);
    expect(await receive(t, url, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('expires in-flight and delayed messages too, counting from the send', async () => {
    const url = await createQueue(t, 'retain-states', { MessageRetentionPeriod: '60', VisibilityTimeout: '600' });
    await send(url, 'inflight');
    await send(url, 'delayed', { DelaySeconds: 30 });
    expect(await receive(t, url)).toHaveLength(1);
    await t.advance(61_000);
    expect(await receive(t, url, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 })).toHaveLength(0);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('keeps messages sent later', async () => {
    const url = await createQueue(t, 'retain-mixed', { MessageRetentionPeriod: '60', VisibilityTimeout: '43200' });
    await send(url, 'old');
    await t.advance(40_000);
    await send(url, 'young');
    await t.advance(21_000);
    expect((await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['young']);
  });

  it('the default retention is 4 days', async () => {
    const url = await createQueue(t, 'retain-default');
    await send(url, 'x');
    await t.advance(345_600_000 - 10_000);
    expect(await counts(t, url)).toMatchObject({ visible: 1 });
    await t.advance(11_000);
    expect(await counts(t, url)).toMatchObject({ visible: 0 });
  });
});
