// The JSON fast path (native/binding/src/fast.rs) against the general path (src/actions/): the
// same requests, in the same order, to a server with the fast path and one without, must get
// the same answers (status, content type, body byte for byte once message ids, receipt handles
// and timestamps are numbered in order of appearance). Each step also says whether the fast path
// answers it or declines it, and the test checks that too, so a fast path that declined
// everything (or answered what it must not) fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastAnswer, FastEmpty } from '../../src/native.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Side {
  t: TestServer;
  /** Receipt handles this server gave, in order. */
  handles: string[];
  /** Message ids this server gave, in order of first appearance. */
  ids: string[];
  /** What the fast path did with the last request (null: not asked). */
  fast: Outcome | null;
}

/** Answered whole; a receive that found nothing handed to the long poll; left to the general path. */
type Outcome = 'answered' | 'parked' | 'declined';

let fast: Side;
let general: Side;

function spy(side: Side): void {
  const core = side.t.server.core;
  const inner = core.fastJson.bind(core);
  core.fastJson = (action: number, body: Buffer, senderId: string): FastAnswer | FastEmpty | null => {
    const a = inner(action, body, senderId);
    side.fast = a === null ? 'declined' : a.empty ? 'parked' : 'answered';
    return a;
  };
}

beforeAll(async () => {
  fast = { t: await startTestServer({ fastPath: true }), handles: [], ids: [], fast: null };
  general = { t: await startTestServer({ fastPath: false }), handles: [], ids: [], fast: null };
  spy(fast);
});
afterAll(async () => {
  await fast.t.close();
  await general.t.close();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The answer with this server's ids and handles numbered, timestamps masked. */
function normalize(side: Side, raw: string): string {
  let text = raw.split(side.t.endpoint.replace('http://', '')).join('HOST').replace(UUID, (id) => {
    if (!side.ids.includes(id)) side.ids.push(id);
    return `ID${side.ids.indexOf(id)}`;
  });
  const json = JSON.parse(text) as { Messages?: { ReceiptHandle: string }[] };
  for (const m of json.Messages ?? []) if (!side.handles.includes(m.ReceiptHandle)) side.handles.push(m.ReceiptHandle);
  side.handles.forEach((h, i) => {
    text = text.split(h).join(`RH${i}`);
  });
  return text.replace(/"(SentTimestamp|ApproximateFirstReceiveTimestamp)":"\d+"/g, '"$1":"TS"');
}

/** A request body; a function gets this server's receipt handles (numbered as normalized). */
type Body = string | object | ((handles: string[]) => object);

async function call(side: Side, action: string, body: Body) {
  const b = typeof body === 'function' ? body(side.handles) : body;
  side.fast = null;
  const r = await fetch(side.t.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: typeof b === 'string' ? b : JSON.stringify(b),
  });
  const raw = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), body: normalize(side, raw), fast: side.fast };
}

function url(side: Side, name: string): string {
  return `${side.t.endpoint}/000000000000/${name}`;
}

/** One request to both servers; `answered`: whether the fast path must answer it (true), or leave it (false), or park it. */
async function both(action: string, body: (u: (name: string) => string) => Body, answered: boolean | 'parked') {
  const expected: Outcome = answered === 'parked' ? 'parked' : answered ? 'answered' : 'declined';
  const a = await call(fast, action, body((n) => url(fast, n)));
  const b = await call(general, action, body((n) => url(general, n)));
  expect({ status: a.status, type: a.type, body: a.body }, `${action} ${JSON.stringify(body((n) => n))}`).toEqual({
    status: b.status,
    type: b.type,
    body: b.body,
  });
  expect(a.fast ?? 'declined', `fast path on ${action} ${a.body}`).toBe(expected);
  expect(b.fast).toBeNull();
  return a;
}

const big = 'x'.repeat(2000);
const entry = (id: string, extra: object = {}) => ({ Id: id, MessageBody: `body ${id}`, ...extra });

describe('JSON fast path answers as the general path does', () => {
  it('creates the queues', async () => {
    await both('CreateQueue', () => ({ QueueName: 'std', Attributes: { VisibilityTimeout: '0' } }), false);
    await both('CreateQueue', () => ({ QueueName: 'small', Attributes: { MaximumMessageSize: '1024' } }), false);
    await both('CreateQueue', () => ({ QueueName: 'f.fifo', Attributes: { FifoQueue: 'true' } }), false);
    await both('CreateQueue', () => ({ QueueName: 'cbd.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }), false);
  });

  it('SendMessage', async () => {
    const send = (extra: object, answered: boolean, q = 'std') =>
      both('SendMessage', (u) => ({ QueueUrl: u(q), MessageBody: 'hello', ...extra }), answered);
    await send({}, true);
    await send({ MessageBody: 'quote " backslash \\ é ✓ 😀 \u2028 tab\t' }, true);
    await send({ DelaySeconds: 0 }, true);
    await send({ DelaySeconds: 900 }, true);
    await send({ MessageGroupId: 'g-1' }, true);
    await send({ DelaySeconds: 901 }, false);
    await send({ DelaySeconds: -1 }, false);
    await send({ DelaySeconds: '5' }, false);
    await send({ DelaySeconds: 1.5 }, false);
    await send({ DelaySeconds: null }, false);
    await send({ MessageBody: '' }, false);
    await send({ MessageBody: 'bad \u0001 char' }, false);
    await send({ MessageBody: 7 }, false);
    await send({ MessageDeduplicationId: 'd' }, false);
    await send({ MessageGroupId: 'with space' }, false);
    await send({ MessageAttributes: { a: { DataType: 'String', StringValue: 'v' } } }, false);
    await send({ Unknown: 1 }, false);
    await send({ Id: 'a' }, false, 'small'); // a batch entry's field (the general path ignores it)
    await send({ QueueUrl: null }, false);
    await send({ MessageBody: big }, false, 'small');
    await send({}, false, 'missing');
    await both('SendMessage', () => ({ QueueUrl: 'http://h/0000/std', MessageBody: 'x' }), false);
    await both('SendMessage', (u) => ({ QueueUrl: u('std') }), false);
    await both('SendMessage', () => '{"QueueUrl":', false);
    await both('SendMessage', () => '', false);
    // FIFO: group required, dedup id or content-based deduplication, no per-message delay.
    await send({ MessageGroupId: 'g', MessageDeduplicationId: 'd1' }, true, 'f.fifo');
    await send({ MessageGroupId: 'g', MessageDeduplicationId: 'd1' }, true, 'f.fifo'); // duplicate
    await send({ MessageGroupId: 'g', MessageDeduplicationId: 'd2', DelaySeconds: 0 }, true, 'f.fifo');
    await send({ MessageGroupId: 'g', MessageDeduplicationId: 'd3', DelaySeconds: 5 }, false, 'f.fifo');
    await send({ MessageDeduplicationId: 'd4' }, false, 'f.fifo');
    await send({ MessageGroupId: 'g' }, false, 'f.fifo');
    await send({ MessageGroupId: 'g' }, true, 'cbd.fifo');
    await send({ MessageGroupId: 'g' }, true, 'cbd.fifo'); // same body: a duplicate
  });

  it('SendMessageBatch', async () => {
    const batch = (entries: unknown, answered: boolean, q = 'std') =>
      both('SendMessageBatch', (u) => ({ QueueUrl: u(q), Entries: entries }), answered);
    await batch([entry('a'), entry('b', { DelaySeconds: 600 }), entry('c_-9')], true);
    await batch(Array.from({ length: 10 }, (_, i) => entry(`e${i}`)), true);
    await batch([], false);
    await batch(Array.from({ length: 11 }, (_, i) => entry(`e${i}`)), false);
    await batch([entry('a'), entry('a')], false);
    await batch([entry('a.b')], false);
    await batch([entry('x'.repeat(81))], false);
    await batch([entry('ok'), entry('bad', { MessageBody: '' })], false);
    await batch([entry('ok'), entry('bad', { DelaySeconds: 1000 })], false);
    await batch([entry('ok'), entry('big', { MessageBody: big })], false, 'small');
    await batch(Array.from({ length: 5 }, (_, i) => entry(`m${i}`, { MessageBody: 'y'.repeat(250_000) })), false);
    await batch('not a list', false);
    await batch([null], false);
    await batch([entry('a', { QueueUrl: 'elsewhere' })], false, 'small'); // a single request's field
    await batch([entry('g1', { MessageGroupId: 'a', MessageDeduplicationId: 'x1' }), entry('g2', { MessageGroupId: 'b', MessageDeduplicationId: 'x2' })], true, 'f.fifo');
    await batch([entry('g1', { MessageGroupId: 'a', MessageDeduplicationId: 'x1' })], true, 'f.fifo'); // duplicate
    await batch([entry('n1', { MessageGroupId: 'a' })], false, 'f.fifo');
    await batch([entry('n1', { MessageDeduplicationId: 'x9' })], false, 'f.fifo');
    await batch([entry('c1', { MessageGroupId: 'a' }), entry('c2', { MessageGroupId: 'a', MessageBody: 'other' })], true, 'cbd.fifo');
  });

  it('ReceiveMessage', async () => {
    const receive = (extra: object, answered: boolean, q = 'std') =>
      both('ReceiveMessage', (u) => ({ QueueUrl: u(q), ...extra }), answered);
    await receive({}, true);
    await receive({ MaxNumberOfMessages: 10, AttributeNames: ['All'], MessageAttributeNames: ['All'] }, true);
    await receive({ MaxNumberOfMessages: 3, MessageSystemAttributeNames: ['SenderId', 'SentTimestamp'], VisibilityTimeout: 0 }, true);
    await receive({ MaxNumberOfMessages: 2, MessageAttributeNames: ['.*'], WaitTimeSeconds: 0 }, true);
    await receive({ AttributeNames: ['SenderId', 'Policy'] }, false);
    await receive({ AttributeNames: ['Bogus'] }, false);
    await receive({ MessageAttributeNames: ['a'] }, false);
    await receive({ MaxNumberOfMessages: 0 }, false);
    await receive({ MaxNumberOfMessages: 11 }, false);
    await receive({ MaxNumberOfMessages: '1' }, false);
    await receive({ VisibilityTimeout: 43_201 }, false);
    await receive({ WaitTimeSeconds: 21 }, false);
    await receive({ ReceiveRequestAttemptId: 'a' }, false);
    await receive({}, false, 'missing');
    // FIFO, with a visibility timeout, so the handles stay in flight for the deletes below.
    await receive({ MaxNumberOfMessages: 10, AttributeNames: ['All'], VisibilityTimeout: 60 }, true, 'f.fifo');
    await receive({ MaxNumberOfMessages: 10, VisibilityTimeout: 60 }, true, 'cbd.fifo');
    // Nothing left to deliver: handed to the long poll, which answers at once without a wait.
    await receive({ MaxNumberOfMessages: 10 }, 'parked', 'f.fifo');
    await receive({ MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }, 'parked', 'f.fifo');
    await receive({ MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }, 'parked', 'f.fifo');
  });

  it('DeleteMessage and DeleteMessageBatch', async () => {
    // Handles numbered in order of the receives above: standard ones first, then FIFO ones.
    const last = (h: string[], back: number) => h[h.length - back]!;
    await both('DeleteMessage', (u) => (h: string[]) => ({ QueueUrl: u('std'), ReceiptHandle: h[0]! }), true);
    await both('DeleteMessage', (u) => (h: string[]) => ({ QueueUrl: u('std'), ReceiptHandle: h[0]! }), true); // stale: succeeds
    await both('DeleteMessage', (u) => ({ QueueUrl: u('std'), ReceiptHandle: 'garbage' }), false);
    await both('DeleteMessage', (u) => ({ QueueUrl: u('std'), ReceiptHandle: '' }), false);
    await both('DeleteMessage', (u) => (h: string[]) => ({ QueueUrl: u('f.fifo'), ReceiptHandle: h[0]! }), false); // another queue's
    await both(
      'DeleteMessageBatch',
      (u) => (h: string[]) => ({ QueueUrl: u('std'), Entries: [{ Id: 'a', ReceiptHandle: h[1]! }, { Id: 'b', ReceiptHandle: h[2]! }] }),
      true,
    );
    await both(
      'DeleteMessageBatch',
      (u) => (h: string[]) => ({ QueueUrl: u('std'), Entries: [{ Id: 'a', ReceiptHandle: h[3]! }, { Id: 'b', ReceiptHandle: 'garbage' }] }),
      false,
    );
    await both('DeleteMessageBatch', (u) => ({ QueueUrl: u('std'), Entries: [] }), false);
    await both('DeleteMessageBatch', (u) => (h: string[]) => ({ QueueUrl: u('std'), Entries: [{ Id: 'a', ReceiptHandle: h[4]! }, { Id: 'a', ReceiptHandle: h[5]! }] }), false);
    await both('DeleteMessageBatch', (u) => ({ QueueUrl: u('std'), Entries: [{ Id: 'a' }] }), false);
    await both('DeleteMessageBatch', (u) => ({ QueueUrl: u('std'), Entries: [{ ReceiptHandle: 'x' }] }), false);
    await both('DeleteMessage', (u) => ({ QueueUrl: u('std'), Id: 'a', ReceiptHandle: 'x' }), false);
    await both('DeleteMessageBatch', (u) => (h: string[]) => ({ QueueUrl: u('cbd.fifo'), Entries: [{ Id: 'x', ReceiptHandle: last(h, 1) }] }), true);
    await both('DeleteMessage', (u) => (h: string[]) => ({ QueueUrl: u('cbd.fifo'), ReceiptHandle: last(h, 2) }), true);
    // The rest of the standard queue's visible messages (13), ten at a time; then it is empty.
    for (let i = 0; i < 2; i++) {
      await both('ReceiveMessage', (u) => ({ QueueUrl: u('std'), MaxNumberOfMessages: 10, VisibilityTimeout: 30 }), true);
      await both(
        'DeleteMessageBatch',
        (u) => (h: string[]) => ({ QueueUrl: u('std'), Entries: h.slice(-10).map((r, k) => ({ Id: `k${k}`, ReceiptHandle: r })) }),
        true,
      );
    }
    await both('ReceiveMessage', (u) => ({ QueueUrl: u('std'), MaxNumberOfMessages: 10 }), 'parked');
  });

  it('a parked receive gets the message sent while it waits', async () => {
    const got = await Promise.all(
      [fast, general].map(async (side) => {
        const waiting = call(side, 'ReceiveMessage', { QueueUrl: url(side, 'std'), WaitTimeSeconds: 5 });
        await new Promise((r) => setTimeout(r, 200));
        await call(side, 'SendMessage', { QueueUrl: url(side, 'std'), MessageBody: 'while waiting', DelaySeconds: 0 });
        return waiting;
      }),
    );
    expect(got[0]!.body).toEqual(got[1]!.body);
    expect(got[0]!.body).toContain('while waiting');
    for (const side of [fast, general]) {
      await call(side, 'DeleteMessage', { QueueUrl: url(side, 'std'), ReceiptHandle: side.handles[side.handles.length - 1]! });
    }
  });

  it('ReceiveMessage filtered by attribute name prefix (Hel.*) is the general path\'s', async () => {
    await both('CreateQueue', () => ({ QueueName: 'attrs', Attributes: { VisibilityTimeout: '0' } }), false);
    const MessageAttributes = {
      Hello: { DataType: 'String', StringValue: 'w' },
      'Help.Me': { DataType: 'Number', StringValue: '1' },
      Other: { DataType: 'Binary', BinaryValue: 'AAE=' },
    };
    await both('SendMessage', (u) => ({ QueueUrl: u('attrs'), MessageBody: 'attributed', MessageAttributes }), false);
    const receive = (names: string[], answered: boolean) =>
      both('ReceiveMessage', (u) => ({ QueueUrl: u('attrs'), MessageAttributeNames: names }), answered);
    const hel = await receive(['Hel.*'], false);
    expect(Object.keys((JSON.parse(hel.body) as { Messages: { MessageAttributes: object }[] }).Messages[0]!.MessageAttributes)).toEqual([
      'Hello',
      'Help.Me',
    ]);
    await receive(['Help.*', 'Other'], false);
    await receive(['Nope.*'], false);
    await receive(['All'], true);
    await receive(['.*'], true);
  });

  it('leaves both servers with the same queues', async () => {
    for (const q of ['std', 'small', 'f.fifo', 'cbd.fifo', 'attrs']) {
      await both(
        'GetQueueAttributes',
        (u) => ({ QueueUrl: u(q), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
        false,
      );
    }
  });
});
