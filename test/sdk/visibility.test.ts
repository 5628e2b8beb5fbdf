// Visibility timeouts, redelivery, ChangeMessageVisibility(Batch) and receipt handle states.
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, E, expectError, receive, sleep } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const send = (QueueUrl: string, MessageBody: string) => t.client.send(new SendMessageCommand({ QueueUrl, MessageBody }));
const cmv = (QueueUrl: string, ReceiptHandle: string, VisibilityTimeout: number) =>
  t.client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout }));
const del = (QueueUrl: string, ReceiptHandle: string) => t.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
const COUNT = { MessageSystemAttributeNames: ['ApproximateReceiveCount' as const] };

describe('visibility timeout', () => {
  it('hides a received message for the queue default, then redelivers it with a higher receive count (real time)', async () => {
    const url = await createQueue(t, 'vis-real', { VisibilityTimeout: '1' });
    const sent = await send(url, 'again');
    const [a] = await receive(t, url, COUNT);
    expect(a!.Attributes!['ApproximateReceiveCount']).toBe('1');
    expect(await receive(t, url)).toHaveLength(0);
    expect(await counts(t, url)).toMatchObject({ visible: 0, inflight: 1 });
    await sleep(1_100);
    const [b] = await receive(t, url, COUNT);
    expect(b!.MessageId).toBe(sent.MessageId);
    expect(b!.Attributes!['ApproximateReceiveCount']).toBe('2');
    expect(b!.ReceiptHandle).not.toBe(a!.ReceiptHandle);
  });

  it('honours the per-receive VisibilityTimeout over the queue default', async () => {
    const url = await createQueue(t, 'vis-override', { VisibilityTimeout: '1' });
    await send(url, 'x');
    await receive(t, url, { VisibilityTimeout: 100 });
    await t.advance(50_000);
    expect(await receive(t, url)).toHaveLength(0);
    await t.advance(51_000);
    const [m] = await receive(t, url, { ...COUNT, VisibilityTimeout: 0 });
    expect(m!.Attributes!['ApproximateReceiveCount']).toBe('2');
    // VisibilityTimeout 0 on receive leaves it visible.
    const [again] = await receive(t, url, COUNT);
    expect(again!.Attributes!['ApproximateReceiveCount']).toBe('3');
  });

  it('uses the default of 30 seconds', async () => {
    const url = await createQueue(t, 'vis-default');
    await send(url, 'x');
    await receive(t, url);
    await t.advance(29_000);
    expect(await receive(t, url)).toHaveLength(0);
    await t.advance(1_500);
    expect(await receive(t, url)).toHaveLength(1);
  });
});

describe('ChangeMessageVisibility', () => {
  it('extends the timeout, counted from now', async () => {
    const url = await createQueue(t, 'cmv-extend', { VisibilityTimeout: '10' });
    await send(url, 'x');
    const [m] = await receive(t, url);
    await t.advance(8_000);
    await cmv(url, m!.ReceiptHandle!, 20);
    await t.advance(15_000); // 23 s after receive, 15 s after the change
    expect(await receive(t, url)).toHaveLength(0);
    await t.advance(6_000);
    expect(await receive(t, url)).toHaveLength(1);
  });

  it('0 makes the message visible at once', async () => {
    const url = await createQueue(t, 'cmv-zero');
    await send(url, 'x');
    const [m] = await receive(t, url);
    expect(await receive(t, url)).toHaveLength(0);
    await cmv(url, m!.ReceiptHandle!, 0);
    expect(await counts(t, url)).toMatchObject({ visible: 1, inflight: 0 });
    const [again] = await receive(t, url, COUNT);
    expect(again!.MessageId).toBe(m!.MessageId);
    expect(again!.Attributes!['ApproximateReceiveCount']).toBe('2');
  });

  it('shortens the timeout', async () => {
    const url = await createQueue(t, 'cmv-shorten', { VisibilityTimeout: '600' });
    await send(url, 'x');
    const [m] = await receive(t, url);
    await cmv(url, m!.ReceiptHandle!, 1);
    await t.advance(1_100);
    expect(await receive(t, url)).toHaveLength(1);
  });

  it('succeeds with the latest handle after the timeout expired, and hides the message again', async () => {
    const url = await createQueue(t, 'cmv-expired', { VisibilityTimeout: '1' });
    await send(url, 'x');
    const [m] = await receive(t, url);
    await t.advance(2_000);
    await cmv(url, m!.ReceiptHandle!, 100);
    expect(await receive(t, url)).toHaveLength(0);
  });

  it('refuses the handle of a deleted message', async () => {
    const url = await createQueue(t, 'cmv-deleted');
    await send(url, 'x');
    const [m] = await receive(t, url);
    await del(url, m!.ReceiptHandle!);
    await expectError(
      cmv(url, m!.ReceiptHandle!, 10),
      E.invalidParameterValue(
        `Value ${m!.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      ),
    );
  });

  it('refuses a garbage handle and a handle of another queue with ReceiptHandleIsInvalid', async () => {
    const url = await createQueue(t, 'cmv-garbage');
    const other = await createQueue(t, 'cmv-other');
    await send(other, 'x');
    const [m] = await receive(t, other);
    for (const h of ['garbage', 'AQEB' + 'x'.repeat(200), m!.ReceiptHandle!]) {
      await expectError(cmv(url, h, 10), {
        name: 'ReceiptHandleIsInvalid',
        code: 'ReceiptHandleIsInvalid',
        status: 404,
        message: `The input receipt handle "${h}" is not a valid receipt handle.`,
      });
    }
  });

  it('refuses an out-of-range timeout and one beyond 12 hours from the receive', async () => {
    const url = await createQueue(t, 'cmv-range');
    await send(url, 'x');
    const [m] = await receive(t, url);
    await expectError(
      cmv(url, m!.ReceiptHandle!, 43_201),
      E.invalidParameterValue('Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.'),
    );
    await expectError(
      cmv(url, m!.ReceiptHandle!, -1),
      E.invalidParameterValue('Value -1 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.'),
    );
    await cmv(url, m!.ReceiptHandle!, 43_000);
    await t.advance(1_000_000); // 1,000 s after the receive: 1,000 + 43,200 > 43,200
    await expectError(
      cmv(url, m!.ReceiptHandle!, 43_200),
      E.invalidParameterValue('Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]'),
    );
  });

  it('ChangeMessageVisibilityBatch changes each entry on its own', async () => {
    const url = await createQueue(t, 'cmvb');
    for (let i = 0; i < 3; i++) await send(url, `m${i}`);
    const got = await receive(t, url, { MaxNumberOfMessages: 10 });
    expect(got).toHaveLength(3);
    const r = await t.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'zero', ReceiptHandle: got[0]!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'long', ReceiptHandle: got[1]!.ReceiptHandle, VisibilityTimeout: 300 },
          { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 5 },
          { Id: 'range', ReceiptHandle: got[2]!.ReceiptHandle, VisibilityTimeout: 50_000 },
        ],
      }),
    );
    expect(r.Successful!.map((s) => s.Id).sort()).toEqual(['long', 'zero']);
    const failed = Object.fromEntries(r.Failed!.map((f) => [f.Id, f]));
    expect(failed['bad']).toEqual({
      Id: 'bad',
      SenderFault: true,
      Code: 'ReceiptHandleIsInvalid',
      Message: 'The input receipt handle "garbage" is not a valid receipt handle.',
    });
    expect(failed['range']).toMatchObject({ Id: 'range', SenderFault: true, Code: 'InvalidParameterValue' });
    const visible = await receive(t, url, { MaxNumberOfMessages: 10 });
    expect(visible.map((m) => m.MessageId)).toEqual([got[0]!.MessageId]);
  });
});

describe('receipt handles on DeleteMessage', () => {
  it('the same handle twice succeeds', async () => {
    const url = await createQueue(t, 'del-twice');
    await send(url, 'x');
    const [m] = await receive(t, url);
    await del(url, m!.ReceiptHandle!);
    await del(url, m!.ReceiptHandle!);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('the latest handle after its timeout expired (not received again) deletes the message', async () => {
    const url = await createQueue(t, 'del-expired', { VisibilityTimeout: '1' });
    await send(url, 'x');
    const [m] = await receive(t, url);
    await t.advance(2_000);
    await del(url, m!.ReceiptHandle!);
    expect(await receive(t, url)).toHaveLength(0);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('a stale handle from an earlier receive succeeds but does not delete the redelivered message', async () => {
    const url = await createQueue(t, 'del-stale', { VisibilityTimeout: '1' });
    await send(url, 'x');
    const [first] = await receive(t, url);
    await t.advance(2_000);
    const [second] = await receive(t, url);
    expect(second!.MessageId).toBe(first!.MessageId);
    await del(url, first!.ReceiptHandle!);
    expect(await counts(t, url)).toMatchObject({ inflight: 1 });
    await t.advance(2_000);
    const [third] = await receive(t, url, COUNT);
    expect(third!.MessageId).toBe(first!.MessageId);
    expect(third!.Attributes!['ApproximateReceiveCount']).toBe('3');
    await del(url, third!.ReceiptHandle!);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('a garbage handle, or one of another queue, is ReceiptHandleIsInvalid', async () => {
    const url = await createQueue(t, 'del-garbage');
    const other = await createQueue(t, 'del-other');
    await send(other, 'x');
    const [m] = await receive(t, other);
    for (const h of ['garbage', '', m!.ReceiptHandle!]) {
      if (h === '') continue;
      await expectError(del(url, h), {
        name: 'ReceiptHandleIsInvalid',
        code: 'ReceiptHandleIsInvalid',
        status: 404,
        message: `The input receipt handle "${h}" is not a valid receipt handle.`,
      });
    }
    // The other queue's message is untouched.
    expect(await counts(t, other)).toMatchObject({ inflight: 1 });
  });

  it('DeleteMessageBatch deletes each entry on its own', async () => {
    const url = await createQueue(t, 'delb');
    for (let i = 0; i < 3; i++) await send(url, `m${i}`);
    const got = await receive(t, url, { MaxNumberOfMessages: 10 });
    const r = await t.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: got[0]!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: 'garbage' },
          { Id: 'c', ReceiptHandle: got[1]!.ReceiptHandle },
        ],
      }),
    );
    expect(r.Successful!.map((s) => s.Id).sort()).toEqual(['a', 'c']);
    expect(r.Failed).toEqual([
      { Id: 'b', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle "garbage" is not a valid receipt handle.' },
    ]);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 1, delayed: 0 });
  });
});
