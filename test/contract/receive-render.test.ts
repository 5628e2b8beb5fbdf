// ReceiveMessage over the JSON protocol is rendered by the core (native/binding/src/
// receive_json.rs); with MessageAttributeNames filtered by name it is rendered in JS
// (src/actions/receive-message.ts). Both must write the same answer, as JSON.stringify would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { md5 } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

async function call(action: string, body: object): Promise<{ raw: string; json: Record<string, unknown> }> {
  const r = await fetch(t.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: JSON.stringify(body),
  });
  const raw = await r.text();
  expect(r.status, raw).toBe(200);
  return { raw, json: JSON.parse(raw) as Record<string, unknown> };
}

type Msg = Record<string, unknown> & { ReceiptHandle: string; Attributes?: Record<string, string> };

const BODIES = [
  'plain',
  'quote " backslash \\ slash / tab \t newline \n return \r',
  'é ✓ 😀 \u007f \u2028 \u2029 \uE000 \uFFFD \u{10FFFF}',
  '{"json":"inside","n":[1,2]}',
  ' ',
];

const ATTRIBUTES = {
  s: { DataType: 'String', StringValue: 'x "quoted" \\ ✓' },
  n: { DataType: 'Number', StringValue: '-1.5' },
  b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
  '7': { DataType: 'String.custom', StringValue: 'numeric-looking name' },
};

describe('ReceiveMessage rendered by the core', () => {
  for (const fifo of [false, true]) {
    it(`matches the JS renderer byte for byte (${fifo ? 'FIFO' : 'standard'})`, async () => {
      const name = `render-${fifo ? 'f' : 's'}-${Date.now()}${fifo ? '.fifo' : ''}`;
      const attrs: Record<string, string> = { VisibilityTimeout: '0' };
      if (fifo) Object.assign(attrs, { FifoQueue: 'true' });
      const { json: created } = await call('CreateQueue', { QueueName: name, Attributes: attrs });
      const QueueUrl = created['QueueUrl'] as string;
      for (const [i, body] of BODIES.entries()) {
        const send: Record<string, unknown> = { QueueUrl, MessageBody: body, MessageAttributes: i % 2 ? ATTRIBUTES : undefined };
        if (i === 3) send['MessageSystemAttributes'] = { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-"x"' } };
        if (fifo) Object.assign(send, { MessageGroupId: `g"\\${i}`, MessageDeduplicationId: `d-${i}` });
        await call('SendMessage', send);
      }
      const everyName = Object.keys(ATTRIBUTES);
      for (const shape of [
        { AttributeNames: ['All'], MessageAttributeNames: ['All'] },
        { MessageSystemAttributeNames: ['SentTimestamp', 'SenderId'], MessageAttributeNames: ['.*'] },
        {},
      ]) {
        // Visibility 0: every receive sees the same messages again, in the same order.
        const core = await call('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10, ...shape });
        const js = await call('ReceiveMessage', {
          QueueUrl,
          MaxNumberOfMessages: 10,
          ...shape,
          ...(shape.MessageAttributeNames ? { MessageAttributeNames: everyName } : {}),
        });
        expect(core.raw).toBe(JSON.stringify(core.json));
        // A standard queue may answer in another order each time: compare in send order.
        const bySent = (l: Msg[]) => l.sort((x, y) => BODIES.indexOf(x['Body'] as string) - BODIES.indexOf(y['Body'] as string));
        const a = bySent(core.json['Messages'] as Msg[]);
        const b = bySent(js.json['Messages'] as Msg[]);
        expect(a.map((m) => m['Body'])).toEqual(BODIES);
        expect(a.map((m) => m['MD5OfBody'])).toEqual(BODIES.map(md5));
        // Receipt handles and receive counts differ between two receives; the rest is equal.
        const same = (m: Msg) => {
          const { ReceiptHandle: _, ...rest } = m;
          if (rest.Attributes) {
            const { ApproximateReceiveCount: _c, ...keep } = rest.Attributes;
            rest.Attributes = keep;
          }
          return rest;
        };
        expect(a.map(same)).toEqual(b.map(same));
        if (shape.AttributeNames) {
          expect(Object.keys(a[0]!.Attributes!).sort()).toEqual(
            fifo
              ? ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'MessageDeduplicationId', 'MessageGroupId', 'SenderId', 'SentTimestamp', 'SequenceNumber']
              : ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp'],
          );
          expect(a[3]!.Attributes!['AWSTraceHeader']).toBe('Root=1-"x"');
        }
        if (shape.MessageAttributeNames) expect(a[1]!['MessageAttributes']).toEqual(ATTRIBUTES);
        else expect(a[1]!['MessageAttributes']).toBeUndefined();
      }
    });
  }
});
