// `sluice queues|peek|purge|redrive` against a running server, through its API.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/admin-cli.js';
import type { PeekFn } from '../../src/peek.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('admin CLI', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  async function admin(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runAdmin([...argv, '--endpoint', t.endpoint], { out: (s) => (out += s), err: (s) => (err += s) }, {});
    return { code, out, err };
  }
  const depth = async (QueueUrl: string) =>
    Number((await t.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!['ApproximateNumberOfMessages']);

  it('queues lists queues with depths', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'listed' }));
    for (const b of ['1', '2', '3']) await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: b }));
    await t.client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 300 }));
    const r = await admin('queues', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toContainEqual({ name: 'listed', url: QueueUrl, visible: 2, inflight: 1, delayed: 0 });
    const text = await admin('queues');
    expect(text.out).toMatch(/^QUEUE\s+VISIBLE\s+IN FLIGHT\s+DELAYED\n/);
    expect(text.out).toMatch(/\nlisted\s+2\s+1\s+0\n/);
  });

  it('purge empties a queue; errors exit 1 with the code', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'purged' }));
    await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    expect((await admin('purge', 'purged')).code).toBe(0);
    expect(await depth(QueueUrl!)).toBe(0);
    const missing = await admin('purge', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/GetQueueUrl: QueueDoesNotExist/);
  });

  it('peek prints messages through the peek endpoint', async () => {
    await t.client.send(new CreateQueueCommand({ QueueName: 'peeked' }));
    const fake: PeekFn = (key) =>
      key === '000000000000/peeked'
        ? [
            {
              receiptHandle: '', messageId: 'm-1', md5OfBody: '', md5OfMessageAttributes: '', body: 'hello', attributesJson: '',
              sentMs: 0, firstReceiveMs: 0, receiveCount: 2, senderId: '000000000000', groupId: '', dedupId: '', sequenceNumber: '',
              traceHeader: '', deadLetterSourceArn: '', state: 1,
            },
          ]
        : null;
    const core = t.server.core as unknown as { peek?: PeekFn };
    const had = core.peek;
    core.peek = fake;
    try {
      const r = await admin('peek', 'peeked', '--all', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)[0]).toMatchObject({ MessageId: 'm-1', Body: 'hello', Attributes: { IsVisible: 'false', ApproximateReceiveCount: '2' } });
      const text = await admin('peek', 'peeked', '--all');
      expect(text.out).toMatch(/^m-1  in flight  sent .* received 2x\n  hello\n$/);
    } finally {
      core.peek = had;
    }
  });

  it('redrive moves dead letters back to their source queue', async () => {
    const dlq = (await t.client.send(new CreateQueueCommand({ QueueName: 'work-dlq' }))).QueueUrl!;
    const src = (
      await t.client.send(
        new CreateQueueCommand({
          QueueName: 'work',
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq', maxReceiveCount: 1 }) },
        }),
      )
    ).QueueUrl!;
    for (const b of ['a', 'b', 'c']) await t.client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: b, MessageAttributes: { n: { DataType: 'String', StringValue: b } } }));
    // Receive each once (returned at once), then again: past maxReceiveCount they go to the DLQ.
    await t.client.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    await t.client.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(await depth(dlq)).toBe(3);
    expect(await depth(src)).toBe(0);
    const r = await admin('redrive', 'work-dlq');
    expect(r.err).toBe('');
    expect(r.out).toBe('moved 3 message(s) (work: 3)\n');
    expect(r.code).toBe(0);
    expect(await depth(dlq)).toBe(0);
    const back = await t.client.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    expect(back.Messages?.map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);
    expect(back.Messages?.map((m) => m.MessageAttributes?.['n']?.StringValue).sort()).toEqual(['a', 'b', 'c']);
  });

  it('redrive --to sends everything to one queue; help and unknown commands', async () => {
    const dlq = (await t.client.send(new CreateQueueCommand({ QueueName: 'plain' }))).QueueUrl!;
    const to = (await t.client.send(new CreateQueueCommand({ QueueName: 'target' }))).QueueUrl!;
    await t.client.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'z' }));
    // No DeadLetterQueueSourceArn: left in place without --to.
    const left = await admin('redrive', 'plain');
    expect(left.out).toMatch(/moved 0 message\(s\); left 1 without a source queue/);
    expect(await depth(dlq)).toBe(1);
    expect((await admin('redrive', 'plain', '--to', 'target')).out).toBe('moved 1 message(s) (target: 1)\n');
    expect(await depth(to)).toBe(1);
    expect((await admin('queues', '--help')).out).toMatch(/^Usage: sluice queues/);
    expect((await admin('frobnicate')).code).toBe(2);
  });
});
