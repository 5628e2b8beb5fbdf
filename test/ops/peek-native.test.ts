// The peek endpoint against the real core: lists messages without leasing them or counting
// a receive.
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('peek on the real core', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('shows visible messages and leaves them visible with no receive counted', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'peek-real' }));
    await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'two' }));
    const r = await fetch(`${t.endpoint}/_aws/sqs/messages?QueueUrl=${encodeURIComponent(QueueUrl!)}`, {
      headers: { accept: 'application/json' },
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('"one"');
    expect(text).toContain('"two"');
    const got = await t.client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(got.Messages?.map((m) => m.Body).sort()).toEqual(['one', 'two']);
    expect(got.Messages?.every((m) => m.Attributes?.['ApproximateReceiveCount'] === '1')).toBe(true);
  });
});
