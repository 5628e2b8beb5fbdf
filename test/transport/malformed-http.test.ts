// Issue 14, "It hangs on malformed HTTP": every kind of framing problem that uWS 20.30 left
// unanswered gets an answer or a close from the Rust edge, and valid pipelined requests before
// garbage keep their answers. Raw sockets, because an HTTP client would refuse to send these.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { serveEdge } from '../../src/transport/edge.js';
import type { Listening } from '../../src/transport/types.js';

/** Generous: the edge answers these at once; the bound only tells a hang from an answer. */
const BOUND_MS = 1_000;

interface Outcome {
  statuses: number[];
  closed: boolean;
  timedOut: boolean;
}

/**
 * Writes `bytes` (never half-closing: a client that waits must still get an answer) and reads
 * until the server closes, or `answers` statuses have arrived, or BOUND_MS passes.
 */
function exchange(port: number, bytes: Buffer | string, answers = Infinity): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const statuses = () => [...Buffer.concat(chunks).toString('latin1').matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
    const done = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ statuses: statuses(), closed, timedOut });
    };
    const timer = setTimeout(() => done(false, true), BOUND_MS);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => {
      chunks.push(d);
      // A whole head is enough for an answer on a connection the server may keep open.
      if (statuses().length >= answers && Buffer.concat(chunks).includes('\r\n\r\n')) done(false, false);
    });
    sock.on('error', () => done(true, false));
    sock.on('close', () => done(true, false));
  });
}

const HEALTH = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
// The first bytes of a TLS 1.2 ClientHello (record header, handshake header, version, random).
const CLIENT_HELLO = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000020c02bc02fc02cc030', 'hex');
const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** Framing the edge must refuse: hyper's 400 and a close (an HTTP/2 preface: a close alone). */
const REFUSED: [string, Buffer | string, number[]?][] = [
  ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
  ['double spaces in the request line', 'GET  /health  HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['a NUL byte in a header', 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: a\0b\r\n\r\n'],
  ['a control byte in a header', 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: a\x01b\r\n\r\n'],
  ['a NUL byte in the path', 'GET /hea\0lth HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['a control byte in the path', 'GET /hea\x7flth HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['obsolete header folding', 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n'],
  ['HTTP/9.9', 'GET /health HTTP/9.9\r\nHost: localhost\r\n\r\n'],
  ['a TLS ClientHello', CLIENT_HELLO],
  ['an HTTP/2 preface', H2_PREFACE, []],
];

/** Odd but parseable requests: an answer (Sluice's, whatever its status). */
const ANSWERED: [string, string][] = [
  ['leading empty lines', `\r\n\r\n${HEALTH}`],
  ['HTTP/1.0 without Host', 'GET /health HTTP/1.0\r\n\r\n'],
  ['an absolute-form target', 'POST http://127.0.0.1/../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n'],
  ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n'],
];

describe('malformed HTTP on the Rust edge (--transport edge)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ transport: 'edge' });
  });
  afterAll(async () => t.close());

  for (const [kind, bytes, statuses = [400]] of REFUSED) {
    it(`${kind}: ${statuses.length ? '400 and ' : ''}a close`, async () => {
      const o = await exchange(t.server.port, bytes);
      expect(o.timedOut).toBe(false);
      expect(o.closed).toBe(true);
      expect(o.statuses).toEqual(statuses);
    });
  }

  for (const [kind, bytes] of ANSWERED) {
    it(`${kind}: an answer`, async () => {
      const o = await exchange(t.server.port, bytes, 1);
      expect(o.timedOut).toBe(false);
      expect(o.statuses.length).toBe(1);
      expect(o.statuses[0]).toBeLessThan(500);
    });
  }

  it('garbage after valid pipelined requests: their answers in order, then a 400 and a close', async () => {
    const o = await exchange(t.server.port, Buffer.concat([Buffer.from(HEALTH + HEALTH + HEALTH), CLIENT_HELLO]));
    expect(o.timedOut).toBe(false);
    expect(o.closed).toBe(true);
    expect(o.statuses).toEqual([200, 200, 200, 400]);
  });

  it('pipelined API requests are answered in order', async () => {
    const body = (name: string) => JSON.stringify({ QueueName: name });
    const req = (name: string) =>
      `POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.CreateQueue\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: ${body(name).length}\r\n\r\n${body(name)}`;
    const sock = connect(t.server.port, '127.0.0.1');
    const text = await new Promise<string>((resolve) => {
      let got = '';
      sock.on('connect', () => sock.write(req('pipe-a') + req('pipe-b') + req('pipe-c')));
      sock.on('data', (d) => {
        got += d.toString('latin1');
        if ((got.match(/"QueueUrl"/g) ?? []).length === 3) resolve(got);
      });
      setTimeout(() => resolve(got), BOUND_MS);
    });
    sock.destroy();
    expect([...text.matchAll(/\/000000000000\/(pipe-\w)/g)].map((m) => m[1])).toEqual(['pipe-a', 'pipe-b', 'pipe-c']);
  });

  it('a head over the header limit gets 431 and a close', async () => {
    const o = await exchange(t.server.port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`);
    expect(o.closed).toBe(true);
    expect(o.statuses).toEqual([431]);
  });

  it('a declared body over the cap gets the AWS error without being read, and a close', async () => {
    const o = await exchange(
      t.server.port,
      'POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 99999999\r\n\r\n{',
    );
    expect(o.closed).toBe(true);
    expect(o.statuses).toEqual([413]);
  });
});

describe('the edge closes a client that sends no header in time (slowloris, idle keep-alive)', () => {
  let l: Listening;
  beforeAll(async () => {
    const opts = { host: '127.0.0.1', port: 0, bodyBytesMax: 1024, headers: null };
    l = await serveEdge(opts, (x) => x.respond({ status: 200, headers: {}, body: 'ok' }), { headerReadTimeoutMs: 200 });
  });
  afterAll(async () => l.close());

  it('a half-sent head is closed after the header-read timeout', async () => {
    const o = await exchange(l.port, 'GET / HTTP/1.1\r\nHost: loc');
    expect(o.timedOut).toBe(false);
    expect(o.closed).toBe(true);
  });

  it('an idle kept-alive connection is closed after the same timeout', async () => {
    const o = await exchange(l.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(o.timedOut).toBe(false);
    expect(o.closed).toBe(true);
    expect(o.statuses).toEqual([200]);
  });
});
