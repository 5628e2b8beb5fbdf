// The LocalStack-shaped peek endpoint. The core's `peek` verb is stood in for here by a fake
// on the Core instance (src/peek.ts looks it up at call time), so the wire shapes are tested
// independently of the native side.
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Peeked, PeekFn } from '../../src/peek.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const base = {
  receiptHandle: '',
  md5OfMessageAttributes: '',
  attributesJson: '',
  firstReceiveMs: 0,
  receiveCount: 0,
  senderId: '000000000000',
  groupId: '',
  dedupId: '',
  sequenceNumber: '',
  traceHeader: '',
  deadLetterSourceArn: '',
};
const MSGS: Peeked[] = [
  { ...base, messageId: 'id-1', md5OfBody: '3d6b824fd8c1520e9a047d21fee6fb1f', body: 'message-1', sentMs: 1000, state: 0 },
  {
    ...base,
    messageId: 'id-2',
    md5OfBody: '95ef155b66299d14edf7ed57c468c13b',
    body: 'message-2',
    sentMs: 2000,
    receiveCount: 1,
    firstReceiveMs: 2500,
    state: 1,
    attributesJson: JSON.stringify({ k: { DataType: 'String', StringValue: 'v' } }),
    md5OfMessageAttributes: 'abc',
  },
  { ...base, messageId: 'id-3', md5OfBody: 'x', body: 'message-3 <&>', sentMs: 3000, state: 2 },
];

describe('peek endpoint', () => {
  let t: TestServer;
  let url: string;
  const calls: [string, number, boolean, boolean][] = [];
  beforeAll(async () => {
    t = await startTestServer();
    url = (await t.client.send(new CreateQueueCommand({ QueueName: 'pq' }))).QueueUrl!;
    const fake: PeekFn = (key, max, inflight, delayed) => {
      calls.push([key, max, inflight, delayed]);
      if (key !== '000000000000/pq') return null;
      return MSGS.filter((m) => m.state === 0 || (m.state === 1 && inflight) || (m.state === 2 && delayed)).slice(0, max);
    };
    (t.server.core as unknown as { peek: PeekFn }).peek = fake;
  });
  afterAll(() => t.close());

  const get = (query: string, json = true) =>
    fetch(`${t.endpoint}/_aws/sqs/messages${query}`, { headers: json ? { accept: 'application/json' } : {} });

  it('answers JSON as LocalStack does (one message: an object)', async () => {
    const r = await get(`?QueueUrl=${encodeURIComponent(url)}`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as any;
    const m = doc.ReceiveMessageResponse.ReceiveMessageResult.Message;
    expect(m.Body).toBe('message-1');
    expect(m.MD5OfBody).toBe('3d6b824fd8c1520e9a047d21fee6fb1f');
    const attrs = Object.fromEntries(m.Attribute.map((a: any) => [a.Name, a.Value]));
    expect(attrs).toMatchObject({ SenderId: '000000000000', SentTimestamp: '1000', ApproximateReceiveCount: '0', ApproximateFirstReceiveTimestamp: '0' });
    expect(calls.at(-1)).toEqual(['000000000000/pq', 10000, false, false]);
  });

  it('ShowInvisible and ShowDelayed add those messages with IsVisible / IsDelayed', async () => {
    const r = await get(`?QueueUrl=${encodeURIComponent(url)}&ShowInvisible=True&ShowDelayed=true`);
    const ms = ((await r.json()) as any).ReceiveMessageResponse.ReceiveMessageResult.Message as any[];
    expect(ms.map((m) => m.Body)).toEqual(['message-1', 'message-2', 'message-3 <&>']);
    const attr = (m: any, n: string) => m.Attribute.find((a: any) => a.Name === n)?.Value;
    expect(ms.map((m) => attr(m, 'IsVisible'))).toEqual(['true', 'false', 'true']);
    expect(ms.map((m) => attr(m, 'IsDelayed'))).toEqual(['false', 'false', 'true']);
    expect(ms[1].MessageAttribute).toEqual({ Name: 'k', Value: { StringValue: 'v', DataType: 'String' } });
  });

  it('answers XML by default, and takes the queue in the path', async () => {
    const r = await get(`/us-east-1/000000000000/pq?ShowDelayed=true`, false);
    expect(r.status).toBe(200);
    const xml = await r.text();
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<ReceiveMessageResponse');
    expect(xml).toContain('<Body>message-3 &lt;&amp;&gt;</Body>');
    expect(xml).toContain('<Attribute><Name>IsDelayed</Name><Value>true</Value></Attribute>');
  });

  it('errors like LocalStack', async () => {
    const none = await get('');
    expect(none.status).toBe(400);
    expect(((await none.json()) as any).ErrorResponse.Error.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    const bad = await get(`?QueueUrl=${encodeURIComponent('http://localhost:4566/nonsense')}`);
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as any).ErrorResponse.Error.Code).toBe('InvalidAddress');
    const missing = await get(`?QueueUrl=${encodeURIComponent(url.replace('/pq', '/nope'))}`);
    expect(((await missing.json()) as any).ErrorResponse.Error.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    const region = await get('/eu-west-1/000000000000/pq');
    expect(region.status).toBe(400);
  });

  it('serves an SDK pointed at /_aws/sqs/messages: ReceiveMessage returns every message', async () => {
    const c = new SQSClient({
      endpoint: `${t.endpoint}/_aws/sqs/messages`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const r = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
      expect(r.Messages?.map((m) => m.Body)).toEqual(['message-1']);
      expect(r.Messages?.[0]?.Attributes?.['ApproximateReceiveCount']).toBe('0');
      await expect(c.send(new CreateQueueCommand({ QueueName: 'x' }))).rejects.toThrow('This endpoint only accepts ReceiveMessage calls');
    } finally {
      c.destroy();
    }
  });

  it('says 501 when the core has no peek verb', async () => {
    const t2 = await startTestServer();
    try {
      if (typeof (t2.server.core as unknown as { peek?: unknown }).peek === 'function') return; // the verb exists now
      const r = await fetch(`${t2.endpoint}/_aws/sqs/messages?QueueUrl=${encodeURIComponent(`${t2.endpoint}/000000000000/q`)}`, {
        headers: { accept: 'application/json' },
      });
      expect(r.status).toBe(501);
    } finally {
      await t2.close();
    }
  });

  it('is refused when auth is sigv4 (it is unsigned)', async () => {
    const t3 = await startTestServer({ auth: 'sigv4' } as never);
    try {
      const r = await fetch(`${t3.endpoint}/_aws/sqs/messages?QueueUrl=${encodeURIComponent(`${t3.endpoint}/000000000000/q`)}`);
      expect(r.status).toBe(403);
    } finally {
      await t3.close();
    }
  });
});
