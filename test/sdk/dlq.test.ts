// Redrive to a dead-letter queue: a message received more than maxReceiveCount times moves to
// the queue its RedrivePolicy names, on the receive that would exceed the count.
import { DeleteMessageCommand, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attrs, counts, createQueue, md5OfAttributes, receive, receiveAll } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

async function pair(fifo: boolean, maxReceiveCount = 2) {
  const base = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  const dlq = await createQueue(t, 'dead', base);
  const dlqArn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
  const src = await createQueue(t, 'src', {
    ...base,
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
  });
  const srcArn = (await attrs(t, src, ['QueueArn']))['QueueArn']!;
  return { src, dlq, srcArn };
}

describe('dead-letter queues', () => {
  it('moves a message after maxReceiveCount receives, keeping its id, body and attributes', async () => {
    const { src, dlq, srcArn } = await pair(false, 2);
    const MessageAttributes = { k: { DataType: 'String.custom', StringValue: 'v' }, b: { DataType: 'Binary', BinaryValue: Uint8Array.of(9, 8) } };
    const sent = await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'poison', MessageAttributes }));
    for (let i = 1; i <= 2; i++) {
      const [m] = await receive(t, src, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
      expect(m!.Attributes!['ApproximateReceiveCount']).toBe(String(i));
      await t.advance(1_500);
    }
    // The third receive finds it over the limit: it goes to the DLQ instead.
    expect(await receive(t, src, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    expect(await counts(t, src)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    expect((await counts(t, dlq)).visible).toBe(1);
    const [d] = await receive(t, dlq, { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
    expect(d!.MessageId).toBe(sent.MessageId);
    expect(d!.Body).toBe('poison');
    expect(d!.MD5OfMessageAttributes).toBe(md5OfAttributes(MessageAttributes));
    expect(d!.Attributes!['DeadLetterQueueSourceArn']).toBe(srcArn);
  });

  it('maxReceiveCount 1: the second receive moves it; a message deleted in time never moves', async () => {
    const { src, dlq } = await pair(false, 1);
    await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'retried' }));
    expect(await receive(t, src)).toHaveLength(1);
    await t.advance(1_500);
    expect(await receive(t, src)).toHaveLength(0);
    expect((await counts(t, dlq)).visible).toBe(1);

    await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'good' }));
    const got = await receive(t, src);
    await t.client.send(new DeleteMessageCommand({ QueueUrl: src, ReceiptHandle: got[0]!.ReceiptHandle }));
    await t.advance(1_500);
    expect(await receive(t, src)).toHaveLength(0);
    expect((await counts(t, dlq)).visible).toBe(1);
    expect(await counts(t, src)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('moves only the messages over the count', async () => {
    const { src, dlq } = await pair(false, 3);
    await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'old' }));
    for (let i = 0; i < 3; i++) {
      expect(await receive(t, src)).toHaveLength(1);
      await t.advance(1_500);
    }
    await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'new' }));
    const got = await receive(t, src, { MaxNumberOfMessages: 10 });
    expect(got.map((m) => m.Body)).toEqual(['new']);
    expect((await receive(t, dlq)).map((m) => m.Body)).toEqual(['old']);
  });

  it('a RedrivePolicy set later applies to messages already received', async () => {
    const dlq = await createQueue(t, 'late-dead');
    const arn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    const src = await createQueue(t, 'late-src', { VisibilityTimeout: '1' });
    await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'x' }));
    for (let i = 0; i < 2; i++) {
      await receive(t, src);
      await t.advance(1_500);
    }
    await t.client.send(
      new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 2 }) } }),
    );
    expect(await receive(t, src)).toHaveLength(0);
    expect((await receive(t, dlq)).map((m) => m.Body)).toEqual(['x']);
  });

  it('FIFO: moved messages keep group and dedup ids, and the group moves on in order', async () => {
    const { src, dlq } = await pair(true, 1);
    for (const b of ['a', 'b', 'c']) {
      await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: b, MessageGroupId: 'g', MessageDeduplicationId: `dd-${b}` }));
    }
    const [first] = await receive(t, src);
    expect(first!.Body).toBe('a');
    await t.advance(1_500);
    // 'a' was received once: the next receive moves it and delivers 'b'.
    const next = await receive(t, src, { MaxNumberOfMessages: 1 });
    expect(next.map((m) => m.Body)).toEqual(['b']);
    const moved = await receiveAll(t, dlq, 10, { MessageSystemAttributeNames: ['All'] });
    expect(moved.map((m) => m.Body)).toEqual(['a']);
    expect(moved[0]!.MessageId).toBe(first!.MessageId);
    expect(moved[0]!.Attributes!['MessageGroupId']).toBe('g');
    expect(moved[0]!.Attributes!['MessageDeduplicationId']).toBe('dd-a');
    expect(moved[0]!.Attributes!['SequenceNumber']).toMatch(/^\d+$/);
  });
});
