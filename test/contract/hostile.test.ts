// No 5xx for bad input (issue 13): a few thousand generated hostile requests, every action, both
// protocols (JSON with X-Amz-Target; Query as form POST and GET), and every answer must be a
// well-formed AWS answer below 500 (test/helpers/hostile.ts says what is generated and checked).
// HOSTILE_REQUESTS and HOSTILE_SEED run it longer or elsewhere by hand:
//   HOSTILE_REQUESTS=20000 npx vitest --run test/contract/hostile.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATIONS } from '../../src/protocol/query-shapes.js';
import { Generator, answerProblem, send, xmlProblem, type Hostile } from '../helpers/hostile.js';
import { createLog } from '../../src/log.js';

const REQUESTS = Number(process.env['HOSTILE_REQUESTS'] ?? 3000);
const SEED = Number(process.env['HOSTILE_SEED'] ?? 13);
/** Requests in flight at once: enough to keep the server busy without a long queue. */
const CONCURRENCY = 8;
const QUEUES = ['q0', 'q1', 'q2', 'q3', 'f0.fifo', 'f1.fifo', 'f2.fifo'];

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

function describeRequest(h: Hostile): string {
  return JSON.stringify({ ...h, body: clip(h.body.toString('utf8')), rawHost: h.rawHost && clip(h.rawHost, 40) });
}

describe('hostile input', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const json = (action: string, input: object) =>
      fetch(t.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(input),
      });
    for (const q of QUEUES) {
      const fifo = q.endsWith('.fifo');
      await json('CreateQueue', { QueueName: q, Attributes: fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {} });
      const url = `${t.endpoint}/000000000000/${q}`;
      for (let i = 0; i < 3; i++) {
        await json('SendMessage', {
          QueueUrl: url,
          MessageBody: `m${i}`,
          MessageAttributes: { Hello: { DataType: 'String', StringValue: 'w' }, 'Help.Me': { DataType: 'Number', StringValue: '1' } },
          ...(fifo ? { MessageGroupId: 'g' } : {}),
        });
      }
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`answers ${REQUESTS} hostile requests (seed ${SEED}) below 500, each a well-formed AWS answer`, async () => {
    const gen = new Generator(SEED, { host: t.endpoint.replace('http://', ''), queues: QUEUES, account: '000000000000' });
    const requests: Hostile[] = Array.from({ length: REQUESTS }, () => gen.next());
    // One example per kind of failure (problem and action), with how often it happened.
    const failures = new Map<string, { n: number; example: string }>();
    const byStatus = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const i = next++;
        const h = requests[i]!;
        const a = await send(t.endpoint, h);
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        const problem = answerProblem(h, a);
        if (!problem) continue;
        const kind = `${problem} (${h.protocol} ${OPERATIONS[h.action] ? h.action : 'unknown action'})`;
        const f = failures.get(kind) ?? { n: 0, example: `#${i} ${describeRequest(h)} -> ${a.status} ${clip(a.body)}` };
        f.n++;
        failures.set(kind, f);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const fivexx = [...byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    console.info(`hostile: ${REQUESTS} requests, seed ${SEED}, ${fivexx} with status >= 500, by status ${JSON.stringify([...byStatus].sort())}`);
    expect([...failures].map(([kind, f]) => `${f.n} × ${kind}: ${f.example}`)).toEqual([]);
    // The generator must reach past the decoders: some requests succeed, most fail validation.
    expect(byStatus.get(200) ?? 0).toBeGreaterThan(REQUESTS / 50);
  }, 120_000);
});

// Each input that once got a 5xx or a malformed answer, by name.
describe('hostile input: regressions', () => {
  let t: TestServer;
  let url: string;
  beforeAll(async () => {
    t = await startTestServer();
    url = `${t.endpoint}/000000000000/reg`;
    await json('CreateQueue', { QueueName: 'reg' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A JSON request; `body` is sent as written, so it may hold escapes JSON.stringify never writes. */
  async function json(action: string, body: object | string) {
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: JSON.parse(await r.text()) as Record<string, unknown> };
  }
  async function query(params: [string, string][]) {
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['Version', '2012-11-05'], ...params]).toString(),
    });
    const xml = await r.text();
    expect(xmlProblem(xml)).toBeNull();
    const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
    return { status: r.status, xml, code: field('Code'), message: field('Message') };
  }
  const error = (type: string, message: string) => ({ __type: `com.amazonaws.sqs#${type}`, message });
  const CONTENTS =
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';

  // Was 500 InternalFailure: the admin request crossed as JSON with a \ud800 escape serde refuses.
  it('a lone surrogate in a queue name is an unknown queue', async () => {
    expect(await json('GetQueueUrl', '{"QueueName":"\\ud800"}')).toEqual({
      status: 400,
      body: error('QueueDoesNotExist', 'The specified queue does not exist.'),
    });
    expect(await json('GetQueueUrl', '{"QueueName":"reg\\udc00x"}')).toMatchObject({ status: 400 });
    expect(await json('CreateQueue', '{"QueueName":"a\\ud800"}')).toEqual({
      status: 400,
      body: error('InvalidParameterValueException', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length'),
    });
  });

  it('a lone surrogate in a ListQueues prefix matches no queue', async () => {
    expect(await json('ListQueues', '{"QueueNamePrefix":"\\ud800"}')).toEqual({ status: 200, body: {} });
    expect(await json('ListQueues', '{"QueueNamePrefix":"re\\udfff"}')).toEqual({ status: 200, body: {} });
  });

  it('lone surrogates in tags cross as U+FFFD', async () => {
    expect(await json('CreateQueue', '{"QueueName":"reg-tags","tags":{"k\\ud800":"v\\udc00"}}')).toMatchObject({ status: 200 });
    const tagsUrl = `${t.endpoint}/000000000000/reg-tags`;
    expect(await json('ListQueueTags', { QueueUrl: tagsUrl })).toEqual({ status: 200, body: { Tags: { 'k\ufffd': 'v\ufffd' } } });
    expect(await json('TagQueue', `{"QueueUrl":"${tagsUrl}","Tags":{"\\udbff":"x"}}`)).toEqual({ status: 200, body: {} });
    expect(await json('UntagQueue', `{"QueueUrl":"${tagsUrl}","TagKeys":["\\ud800","k\\ud800"]}`)).toEqual({ status: 200, body: {} });
    expect(await json('ListQueueTags', { QueueUrl: tagsUrl })).toEqual({ status: 200, body: {} });
  });

  it('a lone surrogate or a control character in a queue attribute value is no 5xx', async () => {
    const kms = await json('SetQueueAttributes', `{"QueueUrl":"${url}","Attributes":{"KmsMasterKeyId":"k\\ud800\\u0001","SqsManagedSseEnabled":"false"}}`);
    expect(kms).toEqual({ status: 200, body: {} });
    // The Query answer stays well-formed XML (query() checks it).
    const got = await query([['Action', 'GetQueueAttributes'], ['QueueUrl', url], ['AttributeName.1', 'KmsMasterKeyId']]);
    expect(got.status).toBe(200);
    expect(got.xml).toContain('<Value>k\ufffd\ufffd</Value>');
    expect(await json('SetQueueAttributes', `{"QueueUrl":"${url}","Attributes":{"Policy":"{\\"a\\":\\"\\ud800\\"}"}}`)).toEqual({ status: 200, body: {} });
  });

  // Were stored, and their control characters made the Query answers malformed XML.
  it('message attribute values, types and AWSTraceHeader are held to the body rule', async () => {
    const send = (attrs: string, system = '') =>
      json('SendMessage', `{"QueueUrl":"${url}","MessageBody":"b","MessageAttributes":{${attrs}}${system}}`);
    for (const value of ['\\u0000', 'a\\ud800', '\\u001b[31m', '\\uffff']) {
      expect(await send(`"A":{"DataType":"String","StringValue":"${value}"}`)).toEqual({
        status: 400,
        body: error('InvalidMessageContents', CONTENTS),
      });
    }
    expect(await send(`"A":{"DataType":"String.\\u0001","StringValue":"v"}`)).toEqual({
      status: 400,
      body: error(
        'InvalidParameterValueException',
        "The type of message (user) attribute 'A' is invalid. You must use only the following supported type prefixes: Binary, Number, String.",
      ),
    });
    expect(await send('', ',"MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"x\\u0007"}}')).toEqual({
      status: 400,
      body: error('InvalidMessageContents', CONTENTS),
    });
    const q = await query([
      ['Action', 'SendMessage'], ['QueueUrl', url], ['MessageBody', 'b'],
      ['MessageAttribute.1.Name', 'A'], ['MessageAttribute.1.Value.DataType', 'String'], ['MessageAttribute.1.Value.StringValue', 'a\u0000'],
    ]);
    expect([q.status, q.code, q.message]).toEqual([400, 'InvalidMessageContents', CONTENTS]);
  });

  // A strict JSON parser refuses a lone surrogate's escape; the message quoting one carries U+FFFD.
  it('a JSON error quoting a lone surrogate stays strict JSON', async () => {
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: '{"QueueName":"reg","QueueOwnerAWSAccountId":"a\\ud800"}',
    });
    const text = await r.text();
    expect(text).not.toMatch(/\\ud[89ab]/i);
    expect(JSON.parse(text)).toEqual(
      error('InvalidParameterValueException', 'Value a\ufffd for parameter QueueOwnerAWSAccountId is invalid.'),
    );
    // A batch entry's failure quotes it inside a 200 answer.
    const batch = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ChangeMessageVisibilityBatch' },
      body: `{"QueueUrl":"${url}","Entries":[{"Id":"a","ReceiptHandle":"x","VisibilityTimeout":"1\\udc00"}]}`,
    });
    const batchText = await batch.text();
    expect(batchText).not.toMatch(/\\ud[c-f]/i);
    expect(JSON.parse(batchText)).toMatchObject({ Failed: [{ Id: 'a', Message: expect.stringContaining('1\ufffd') }] });
  });

  // Was malformed XML: the error message quoted the value with its control characters.
  it('an XML error quoting a control character or a non-character stays well-formed', async () => {
    const q = await query([['Action', 'GetQueueUrl'], ['QueueName', 'reg'], ['QueueOwnerAWSAccountId', 'a\u0000b\u001b\uffff\r']]);
    expect([q.status, q.code, q.message]).toEqual([
      400,
      'InvalidParameterValue',
      'Value a\ufffdb\ufffd\ufffd&#xD; for parameter QueueOwnerAWSAccountId is invalid.',
    ]);
    const bad = await query([['Action', 'Send\u0001Message']]);
    expect([bad.status, bad.code, bad.message]).toEqual([400, 'InvalidAction', 'The action Send\ufffdMessage is not valid for this endpoint.']);
  });

  // Was dropped: the Query decoder assigned the map entry to the map's prototype.
  it('a message attribute named __proto__ is kept in the Query protocol', async () => {
    const q = await query([
      ['Action', 'SendMessage'], ['QueueUrl', `${t.endpoint}/000000000000/reg`], ['MessageBody', 'proto'],
      ['MessageAttribute.1.Name', '__proto__'], ['MessageAttribute.1.Value.DataType', 'String'], ['MessageAttribute.1.Value.StringValue', 'v'],
    ]);
    expect(q.status).toBe(200);
    expect(q.xml).toContain('<MD5OfMessageAttributes>');
    const r = await json('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['All'], MaxNumberOfMessages: 10 });
    const m = (r.body['Messages'] as { Body: string; MessageAttributes?: object }[]).find((x) => x.Body === 'proto');
    expect(JSON.stringify(m?.MessageAttributes)).toBe('{"__proto__":{"DataType":"String","StringValue":"v"}}');
  });

  // Was a terminal escape in the request log: the queue name is the client's text.
  it('request log lines escape what a terminal would act on', () => {
    for (const format of ['json', 'pretty'] as const) {
      const lines: string[] = [];
      const log = createLog({ level: 'info', format, tty: false, write: (l) => lines.push(l) });
      log.request({ requestId: 'r', action: 'SendMessage', protocol: 'json', queue: 'q\u001b[31m\u009b2J\u2028x', status: 400, latencyMs: 1 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/);
      expect(lines[0]).toContain('q\\u001b[31m\\u009b2J\\u2028x');
    }
  });
});
