// SendMessage, ReceiveMessage and DeleteMessage through the AWS SDK: bodies, MD5s, message
// attributes of every type, system attributes, filtering on receive, sizes and counts.
import {
  DeleteMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, deleteAll, E, expectError, md5, md5OfAttributes, receive, receiveAll } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const send = (QueueUrl: string, MessageBody: string, extra: Record<string, unknown> = {}) =>
  t.client.send(new SendMessageCommand({ QueueUrl, MessageBody, ...extra }));

const ATTRS: Record<string, MessageAttributeValue> = {
  str: { DataType: 'String', StringValue: 'héllo wörld ✓' },
  num: { DataType: 'Number', StringValue: '-12.5e3' },
  bin: { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 1, 2, 254, 255]) },
  'custom.str': { DataType: 'String.uuid', StringValue: '8a7f0c0e-4f1e-4d2c-9a8b-1234567890ab' },
  'custom.num': { DataType: 'Number.int', StringValue: '42' },
  'custom.bin': { DataType: 'Binary.png', BinaryValue: Uint8Array.from([137, 80, 78, 71]) },
  'foo.one': { DataType: 'String', StringValue: 'f1' },
  'foo.two': { DataType: 'String', StringValue: 'f2' },
  Foo_Case: { DataType: 'String', StringValue: 'case' },
};

describe('send and receive', () => {
  it('round-trips a body; MessageId, MD5OfBody and MD5OfMessageBody match', async () => {
    const url = await createQueue(t, 'basic');
    const body = 'plain ascii, \t tab, \n newline, \r cr, unicode ☃ 𝄞 and \uE000\uFFFD';
    const sent = await send(url, body);
    expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toBeUndefined();
    expect(sent.SequenceNumber).toBeUndefined();
    const [m, ...rest] = await receive(t, url, { MaxNumberOfMessages: 10 });
    expect(rest).toHaveLength(0);
    expect(m!.Body).toBe(body);
    expect(m!.MessageId).toBe(sent.MessageId);
    expect(m!.MD5OfBody).toBe(md5(body));
    expect(m!.ReceiptHandle).toBeTruthy();
    expect(m!.Attributes).toBeUndefined();
    expect(m!.MessageAttributes).toBeUndefined();
    expect(m!.MD5OfMessageAttributes).toBeUndefined();
    await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle }));
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('receives at most MaxNumberOfMessages (default 1), each message once', async () => {
    const url = await createQueue(t, 'many');
    for (let i = 0; i < 25; i++) await send(url, `m${i}`);
    expect(await receive(t, url)).toHaveLength(1);
    const batch = await receive(t, url, { MaxNumberOfMessages: 10 });
    expect(batch).toHaveLength(10);
    const rest = await receiveAll(t, url, 100);
    const bodies = [...batch, ...rest].map((m) => m.Body);
    expect(bodies).toHaveLength(24);
    expect(new Set(bodies).size).toBe(24);
  });

  it('counts visible, in-flight and delayed messages', async () => {
    const url = await createQueue(t, 'counts');
    for (let i = 0; i < 4; i++) await send(url, `v${i}`);
    await send(url, 'delayed', { DelaySeconds: 600 });
    expect(await counts(t, url)).toEqual({ visible: 4, inflight: 0, delayed: 1 });
    const got = await receive(t, url, { MaxNumberOfMessages: 3 });
    expect(got).toHaveLength(3);
    expect(await counts(t, url)).toEqual({ visible: 1, inflight: 3, delayed: 1 });
    await deleteAll(t, url, got.slice(0, 2));
    expect(await counts(t, url)).toEqual({ visible: 1, inflight: 1, delayed: 1 });
  });
});

describe('message attributes', () => {
  it('round-trips every type, custom type labels included, with AWS MD5s on send and receive', async () => {
    const url = await createQueue(t, 'attrs');
    const sent = await send(url, 'with attributes', { MessageAttributes: ATTRS });
    expect(sent.MD5OfMessageAttributes).toBe(md5OfAttributes(ATTRS));
    const [m] = await receive(t, url, { MessageAttributeNames: ['All'] });
    expect(m!.MD5OfMessageAttributes).toBe(md5OfAttributes(ATTRS));
    expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(Object.keys(ATTRS).sort());
    for (const [k, v] of Object.entries(ATTRS)) {
      const got = m!.MessageAttributes![k]!;
      expect(got.DataType, k).toBe(v.DataType);
      if (v.BinaryValue) expect(Uint8Array.from(got.BinaryValue!), k).toEqual(v.BinaryValue);
      else expect(got.StringValue, k).toBe(v.StringValue);
    }
  });

  it('matches known AWS MD5OfMessageAttributes values', async () => {
    // Vectors recorded from AWS (moto's SQS tests assert the same values).
    const url = await createQueue(t, 'attrs-known');
    const a = await send(url, 'derp', { MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } } });
    expect(a.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
    const b = await send(url, 'derp', {
      MessageAttributes: { 'SOME_Valid.attribute-Name': { DataType: 'Number', StringValue: '1493147359900' } },
    });
    expect(b.MD5OfMessageAttributes).toBe('36655e7e9d7c0e8479fa3f3f42247ae7');
    const got = await receiveAll(t, url, 2, { MessageAttributeNames: ['All'] });
    expect(got.find((m) => m.MessageId === a.MessageId)!.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
    expect(got.find((m) => m.MessageId === b.MessageId)!.MD5OfMessageAttributes).toBe('36655e7e9d7c0e8479fa3f3f42247ae7');
  });

  it('accepts exactly 10 attributes', async () => {
    const url = await createQueue(t, 'attrs10');
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { DataType: 'Number', StringValue: String(i) }]));
    const sent = await send(url, 'ten', { MessageAttributes: ten });
    expect(sent.MD5OfMessageAttributes).toBe(md5OfAttributes(ten));
  });

  describe('filtering with MessageAttributeNames', () => {
    let url: string;
    beforeAll(async () => {
      url = await createQueue(t, 'filter', { VisibilityTimeout: '0' });
      await send(url, 'filtered', { MessageAttributes: ATTRS });
    });

    const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, ATTRS[n]!]));

    it('returns none when none are asked for', async () => {
      const [m] = await receive(t, url);
      expect(m!.MessageAttributes).toBeUndefined();
      expect(m!.MD5OfMessageAttributes).toBeUndefined();
    });

    it.each([['All'], ['.*']])('returns all for %s', async (n) => {
      const [m] = await receive(t, url, { MessageAttributeNames: [n] });
      expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(Object.keys(ATTRS).sort());
      expect(m!.MD5OfMessageAttributes).toBe(md5OfAttributes(ATTRS));
    });

    it('returns the named ones, with the MD5 of just those', async () => {
      const [m] = await receive(t, url, { MessageAttributeNames: ['str', 'bin', 'missing'] });
      expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(['bin', 'str']);
      expect(m!.MD5OfMessageAttributes).toBe(md5OfAttributes(pick(['str', 'bin'])));
    });

    it('matches a prefix with foo.*, case-sensitively', async () => {
      const [m] = await receive(t, url, { MessageAttributeNames: ['foo.*'] });
      expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(['foo.one', 'foo.two']);
      expect(m!.MD5OfMessageAttributes).toBe(md5OfAttributes(pick(['foo.one', 'foo.two'])));
      const [c] = await receive(t, url, { MessageAttributeNames: ['custom.*', 'num'] });
      expect(Object.keys(c!.MessageAttributes!).sort()).toEqual(['custom.bin', 'custom.num', 'custom.str', 'num']);
      expect(c!.MD5OfMessageAttributes).toBe(md5OfAttributes(pick(['custom.bin', 'custom.num', 'custom.str', 'num'])));
    });

    it('Hel.* returns every attribute whose name starts with Hel (issue 13), the MD5 over those', async () => {
      const url2 = await createQueue(t, 'filter-hel', { VisibilityTimeout: '0' });
      const attrs: Record<string, MessageAttributeValue> = {
        Hello: { DataType: 'String', StringValue: 'w' },
        'Help.Me': { DataType: 'Number', StringValue: '1' },
        Hel: { DataType: 'String', StringValue: 'exact' },
        He: { DataType: 'String', StringValue: 'short' },
        hello: { DataType: 'String', StringValue: 'lower' },
      };
      await send(url2, 'hel', { MessageAttributes: attrs });
      const only = (names: string[]) => Object.fromEntries(names.map((n) => [n, attrs[n]!]));
      const [m] = await receive(t, url2, { MessageAttributeNames: ['Hel.*'] });
      expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(['Hel', 'Hello', 'Help.Me']);
      expect(m!.MD5OfMessageAttributes).toBe(md5OfAttributes(only(['Hel', 'Hello', 'Help.Me'])));
      const [p] = await receive(t, url2, { MessageAttributeNames: ['Help.*', 'He'] });
      expect(Object.keys(p!.MessageAttributes!).sort()).toEqual(['He', 'Help.Me']);
      expect(p!.MD5OfMessageAttributes).toBe(md5OfAttributes(only(['He', 'Help.Me'])));
    });

    it('names are case-sensitive; no match leaves attributes and their MD5 out', async () => {
      const [m] = await receive(t, url, { MessageAttributeNames: ['STR', 'foo_case', 'FOO.*'] });
      expect(m!.MessageAttributes).toBeUndefined();
      expect(m!.MD5OfMessageAttributes).toBeUndefined();
      const [c] = await receive(t, url, { MessageAttributeNames: ['Foo_Case'] });
      expect(Object.keys(c!.MessageAttributes!)).toEqual(['Foo_Case']);
    });
  });
});

describe('system attributes', () => {
  it('returns each system attribute asked for, through both AttributeNames and MessageSystemAttributeNames', async () => {
    const url = await createQueue(t, 'sys', { VisibilityTimeout: '0' });
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const before = Date.now();
    const sent = await send(url, 'sys', {
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: trace } },
    });
    expect(sent.MD5OfMessageSystemAttributes).toBe(md5OfAttributes({ AWSTraceHeader: { DataType: 'String', StringValue: trace } }));

    const [first] = await receive(t, url, { MessageSystemAttributeNames: ['All'] });
    const a = first!.Attributes!;
    expect(a['SenderId']).toBeTruthy();
    expect(Number(a['SentTimestamp'])).toBeGreaterThanOrEqual(before - 1000);
    expect(a['SentTimestamp']).toMatch(/^\d{13}$/);
    expect(a['ApproximateReceiveCount']).toBe('1');
    expect(Number(a['ApproximateFirstReceiveTimestamp'])).toBeGreaterThanOrEqual(Number(a['SentTimestamp']));
    expect(a['AWSTraceHeader']).toBe(trace);
    // FIFO-only attributes are absent on a standard queue.
    expect(a['SequenceNumber']).toBeUndefined();
    expect(a['MessageDeduplicationId']).toBeUndefined();

    const [second] = await receive(t, url, { AttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] });
    expect(second!.Attributes).toEqual({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: a['ApproximateFirstReceiveTimestamp'],
    });

    const [third] = await receive(t, url, { MessageSystemAttributeNames: ['SentTimestamp'] });
    expect(Object.keys(third!.Attributes!)).toEqual(['SentTimestamp']);

    const [fourth] = await receive(t, url, { AttributeNames: ['All'] });
    expect(fourth!.Attributes!['ApproximateReceiveCount']).toBe('4');
    expect(fourth!.Attributes!['AWSTraceHeader']).toBe(trace);
  });

  it('accepts queue attribute names in the deprecated AttributeNames and ignores them', async () => {
    const url = await createQueue(t, 'sys-queue-names');
    await send(url, 'x');
    const [m] = await receive(t, url, { AttributeNames: ['VisibilityTimeout', 'SentTimestamp'] });
    expect(Object.keys(m!.Attributes!)).toEqual(['SentTimestamp']);
  });

  it('rejects a message system attribute other than AWSTraceHeader', async () => {
    const url = await createQueue(t, 'sys-bad');
    await expectError(
      send(url, 'x', { MessageSystemAttributes: { Bogus: { DataType: 'String', StringValue: 'v' } } as never }),
      E.invalidParameterValue(),
    );
  });
});

describe('message size', () => {
  it('enforces the queue MaximumMessageSize, counting attributes', async () => {
    const url = await createQueue(t, 'size', { MaximumMessageSize: '1024' });
    await send(url, 'a'.repeat(1024));
    const tooLong = E.invalidParameterValue('One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.');
    await expectError(send(url, 'a'.repeat(1025)), tooLong);
    // UTF-8 bytes, not characters: 342 three-byte characters are 1026 bytes.
    await expectError(send(url, '☃'.repeat(342)), tooLong);
    // name (1) + type (6) + value (10) = 17 bytes of attributes.
    const MessageAttributes = { n: { DataType: 'String', StringValue: '0123456789' } };
    await send(url, 'a'.repeat(1024 - 17), { MessageAttributes });
    await expectError(send(url, 'a'.repeat(1024 - 16), { MessageAttributes }), tooLong);
    // Raising the limit applies at once.
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: '2048' } }));
    await send(url, 'a'.repeat(2048));
    expect((await counts(t, url)).visible).toBe(3);
  });

  it('accepts a message of exactly 1 MiB by default and refuses one byte more', async () => {
    const url = await createQueue(t, 'size-max');
    const body = 'b'.repeat(1_048_576);
    const sent = await send(url, body);
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    const [m] = await receive(t, url);
    expect(m!.Body!.length).toBe(1_048_576);
    await expectError(
      send(url, body + 'b'),
      E.invalidParameterValue('One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.'),
    );
  });
});
