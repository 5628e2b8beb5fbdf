import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { UWS_BINARY_HERE } from '../helpers/uws.js';

describe('smoke: send, receive, delete through the AWS SDK', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('runs on the transport the suite asked for (uWS where its binary loads, or node:http, or the Rust edge)', () => {
    const asked = process.env['SLUICE_TEST_TRANSPORT'];
    if (asked === 'edge') return expect(t.server.transport).toBe('edge');
    const node = asked === 'node' || !UWS_BINARY_HERE;
    expect(t.server.transport).toBe(node ? 'node' : 'uws');
  });

  it('round-trips a message with attributes', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'smoke' }));
    expect(QueueUrl).toMatch(/\/000000000000\/smoke$/);
    const sent = await t.client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'hello ✓',
        MessageAttributes: { a: { DataType: 'String', StringValue: 'x' }, b: { DataType: 'Binary', BinaryValue: Uint8Array.of(1, 2, 3) } },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await t.client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages![0]!;
    expect(m.Body).toBe('hello ✓');
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.MessageAttributes?.['b']?.BinaryValue).toEqual(Uint8Array.of(1, 2, 3));
    expect(m.Attributes?.['ApproximateReceiveCount']).toBe('1');
    await t.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    const again = await t.client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
    expect(again.Messages ?? []).toHaveLength(0);
  });
});
