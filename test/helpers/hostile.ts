// Hostile requests (issue 13): generated inputs for every action in both protocols, and the checks
// every answer must pass whatever the input: no 5xx (a 5xx says the server itself failed), and a
// body that is a well-formed AWS answer (JSON with `__type` and `message` for an error; XML that
// an XML 1.0 parser accepts, an <ErrorResponse> for an error). Seeded, so a failure names the
// seed and request number that reproduce it.
import { connect } from 'node:net';
import { PEEK_PATH } from '../../src/peek.js';
import { OPERATIONS, SHAPES, type QueryShape } from '../../src/protocol/query-shapes.js';

/** A small, fast PRNG (mulberry32): the same seed gives the same requests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings that have broken hand-built encodings somewhere: escapes, surrogates, controls, markup. */
export const NASTY: readonly string[] = [
  '', ' ', '\\', '\\\\', '"', "'", '\\"', '\\u0000', '\\ud800', '\\x00', '\u0000', '\u0001', '\u0008',
  '\u000b', '\u000c', '\u001b[31mred', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\ud800',
  '\udc00', 'a\ud800b', 'a\udfffb', '\udbff\udfff', '\ud83d\ude00', '\ufeff', '\ufffe', '\uffff', '<', '>',
  '&', '&amp;', '&#0;', '&#x0;', ']]>', '<![CDATA[x]]>', '<a>', '</Message>', '%', '%00', '%ZZ',
  '%ED%A0%80', '+', '=', '&Action=DeleteQueue', '\r', '\n', '\r\n', '\t', 'null', 'true', 'NaN',
  'Infinity', '-1', '-0', '0', '1e400', '99999999999999999999999999', '-9223372036854775809',
  '4294967296', '0x10', '1.5', ' 5 ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'All',
  '.*', 'Hel.*', 'a'.repeat(81), 'x'.repeat(3000), '../../etc/passwd', '/000000000000/q0',
  'http://evil/000000000000/q0', 'arn:aws:sqs:us-east-1:000000000000:q0', 'arn:aws:sqs:::', 'é',
  '\u00ff', '\u{10ffff}', '${x}', '%s%n', "'; DROP TABLE q; --", 'String', 'Number', 'Binary',
  'String.\u0000', 'AWSTraceHeader', 'FifoQueue', 'RedrivePolicy', '{}', '[]', '{"a":', '{"deadLetterTargetArn":"\\ud800"}',
];

/** Code units a random string draws from: every class an encoder must treat differently. */
const UNIT_RANGES: readonly [number, number][] = [
  [0x00, 0x1f], [0x20, 0x7e], [0x7f, 0x9f], [0xa0, 0xff], [0x100, 0x7ff], [0x2028, 0x2029],
  [0xd800, 0xdbff], [0xdc00, 0xdfff], [0xe000, 0xfffd], [0xfffe, 0xffff],
];
const SPECIAL = '\\"\'<>&%+=.*/:#?[]{}';

export interface Hostile {
  /** How the request was sent; 'raw' requests go over a socket (odd Host headers). */
  protocol: 'json' | 'query';
  action: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** A Host header fetch would not send: the request goes out on a raw socket. */
  rawHost?: string;
}

export interface Fixture {
  /** host:port of the server (valid queue URLs). */
  host: string;
  /** Names of queues that exist when the run starts. */
  queues: string[];
  account: string;
}

export class Generator {
  private readonly r: () => number;
  constructor(
    seed: number,
    private readonly f: Fixture,
  ) {
    this.r = rng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }

  randomString(): string {
    const n = this.chance(0.05) ? 200 + this.int(2000) : this.int(24);
    let s = '';
    for (let i = 0; i < n; i++) {
      const k = this.int(10);
      if (k < 2) s += this.pick(SPECIAL.split(''));
      else if (k < 4) s += String.fromCharCode(0x41 + this.int(26));
      else {
        const [lo, hi] = this.pick(UNIT_RANGES);
        s += String.fromCharCode(lo + this.int(hi - lo + 1));
      }
    }
    return s;
  }

  string(): string {
    const k = this.int(10);
    if (k < 4) return this.pick(NASTY);
    if (k < 6) return this.randomString();
    if (k < 7) return this.pick(NASTY) + this.randomString() + this.pick(NASTY);
    if (k < 8) return this.queueUrl();
    if (k < 9) return this.pick(this.f.queues);
    return `arn:aws:sqs:us-east-1:${this.f.account}:${this.pick(this.f.queues)}${this.pick(['', this.pick(NASTY)])}`;
  }

  queueUrl(): string {
    const q = this.pick(this.f.queues);
    switch (this.int(8)) {
      case 0:
      case 1:
      case 2:
        return `http://${this.f.host}/${this.f.account}/${q}`;
      case 3:
        return `http://${this.pick(NASTY)}/${this.f.account}/${q}`;
      case 4:
        return `/${this.f.account}/${q}${this.pick(NASTY)}`;
      case 5:
        return `http://${this.f.host}/${this.pick([this.f.account, '1', '0000000000000', this.pick(NASTY)])}/${this.string()}`;
      case 6:
        return `${this.pick(['http://', 'https://', 'ftp://', '//', 'http:/', ''])}${this.randomString()}`;
      default:
        return this.pick(NASTY);
    }
  }

  /** Any JSON value, most often a string; nested up to `depth`. */
  any(depth = 2): unknown {
    const k = this.int(20);
    if (k < 9 || depth <= 0) return this.string();
    if (k < 12) return this.pick([0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e300, 1.5, -0, 43201, 21, 11]);
    if (k < 13) return this.chance(0.5);
    if (k < 14) return null;
    if (k < 17) return Array.from({ length: this.int(4) }, () => this.any(depth - 1));
    const o: Record<string, unknown> = {};
    for (let i = this.int(4); i > 0; i--) o[this.chance(0.5) ? this.string() : this.pick(['DataType', 'StringValue', 'BinaryValue', 'Id', 'ReceiptHandle', 'MessageBody'])] = this.any(depth - 1);
    return o;
  }

  /** A value of `shapeName`, mostly well-typed with hostile leaves, sometimes of the wrong type. */
  value(shapeName: string, depth = 0): unknown {
    if (this.chance(0.08) || depth > 6) return this.any();
    const s: QueryShape = SHAPES[shapeName]!;
    switch (s.t) {
      case 'structure': {
        const o: Record<string, unknown> = {};
        for (const [member, , memberShape] of s.m) {
          if (this.chance(0.35)) continue;
          o[member] = member === 'QueueUrl' && this.chance(0.7) ? this.queueUrl() : this.value(memberShape, depth + 1);
        }
        if (this.chance(0.1)) o[this.string()] = this.any();
        return o;
      }
      case 'list':
        return Array.from({ length: this.chance(0.05) ? 11 + this.int(5) : this.int(4) }, () => this.value(s.item, depth + 1));
      case 'map': {
        const o: Record<string, unknown> = {};
        const keys = ['All', 'Policy', 'RedrivePolicy', 'FifoQueue', 'DelaySeconds', 'KmsMasterKeyId', 'AWSTraceHeader', 'Hello'];
        for (let i = this.int(4); i > 0; i--) o[this.chance(0.5) ? this.pick(keys) : this.string()] = this.value(s.value, depth + 1);
        return o;
      }
      case 'integer':
      case 'long':
        return this.chance(0.6) ? this.pick([0, 1, 10, 11, -1, 2 ** 31, 2 ** 53 + 1, 1e21, 43200, 900, 0.5]) : this.string();
      case 'boolean':
        return this.chance(0.6) ? this.chance(0.5) : this.string();
      default:
        return this.string();
    }
  }

  /** A valid input of `action` on a fixture queue (so a single hostile change gets past the rest). */
  valid(action: string): Record<string, unknown> {
    const q = this.pick(this.f.queues);
    const fifo = q.endsWith('.fifo') ? { MessageGroupId: 'g' } : {};
    const QueueUrl = `http://${this.f.host}/${this.f.account}/${q}`;
    const SourceArn = `arn:aws:sqs:us-east-1:${this.f.account}:${q}`;
    const fresh = `n${this.int(1000)}${q.endsWith('.fifo') ? '.fifo' : ''}`;
    const message = { MessageBody: 'b', MessageAttributes: { Hello: { DataType: 'String', StringValue: 'v' } }, ...fifo };
    switch (action) {
      case 'CreateQueue':
        return { QueueName: fresh, Attributes: fifo.MessageGroupId ? { FifoQueue: 'true' } : { DelaySeconds: '0' }, tags: { k: 'v' } };
      case 'GetQueueUrl':
        return { QueueName: q };
      case 'ListQueues':
        return { QueueNamePrefix: 'q', MaxResults: 10 };
      case 'DeleteQueue':
        return { QueueUrl: `http://${this.f.host}/${this.f.account}/${fresh}` };
      case 'GetQueueAttributes':
        return { QueueUrl, AttributeNames: ['All'] };
      case 'SetQueueAttributes':
        return { QueueUrl, Attributes: { VisibilityTimeout: '30' } };
      case 'SendMessage':
        return { QueueUrl, ...message };
      case 'SendMessageBatch':
        return { QueueUrl, Entries: [{ Id: 'a', ...message }] };
      case 'ReceiveMessage':
        return { QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, AttributeNames: ['All'], MessageAttributeNames: ['All'] };
      case 'DeleteMessage':
      case 'ChangeMessageVisibility':
        return { QueueUrl, ReceiptHandle: 'x', VisibilityTimeout: 0 };
      case 'DeleteMessageBatch':
      case 'ChangeMessageVisibilityBatch':
        return { QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: 'x', VisibilityTimeout: 0 }] };
      case 'TagQueue':
        return { QueueUrl, Tags: { k: 'v' } };
      case 'UntagQueue':
        return { QueueUrl, TagKeys: ['k'] };
      case 'AddPermission':
        return { QueueUrl, Label: 'l', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] };
      case 'RemovePermission':
        return { QueueUrl, Label: 'l' };
      case 'StartMessageMoveTask':
      case 'ListMessageMoveTasks':
        return { SourceArn };
      case 'CancelMessageMoveTask':
        return { TaskHandle: 'x' };
      default:
        return { QueueUrl };
    }
  }

  /** `v` with one member, item, map key or leaf somewhere inside it made hostile. */
  mutate(v: Record<string, unknown>): Record<string, unknown> {
    const spots: [Record<string, unknown> | unknown[], string | number][] = [];
    const walk = (o: unknown) => {
      if (Array.isArray(o)) o.forEach((x, i) => (spots.push([o, i]), walk(x)));
      else if (typeof o === 'object' && o !== null) for (const [k, x] of Object.entries(o)) (spots.push([o as Record<string, unknown>, k]), walk(x));
    };
    walk(v);
    const [holder, at] = this.pick(spots);
    const k = this.int(10);
    if (k < 3 && typeof at === 'string') {
      const o = holder as Record<string, unknown>;
      o[this.string()] = o[at];
      delete o[at];
    } else if (k < 4 && typeof at === 'string') {
      (holder as Record<string, unknown>)[this.string()] = this.any();
    } else {
      (holder as Record<string, unknown>)[at as string] = k < 8 ? this.string() : this.any();
    }
    return v;
  }

  /** The input of `action`, with the long-poll wait forced off so no request parks. */
  input(action: string): Record<string, unknown> {
    const op = OPERATIONS[action];
    let input: Record<string, unknown>;
    if (op && this.chance(0.5)) {
      // Valid but for one thing, or (sometimes) wholly valid.
      input = this.chance(0.9) ? this.mutate(this.valid(action)) : this.valid(action);
    } else {
      const v = op?.input ? this.value(op.input) : this.any();
      input = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
    }
    if (action === 'ReceiveMessage') {
      const w = input['WaitTimeSeconds'];
      const valid = w === undefined || (typeof w === 'number' && w >= 0 && w <= 20) || /^\s*\d+\s*$/.test(String(w));
      if (valid) input['WaitTimeSeconds'] = 0;
    }
    return input;
  }

  action(): string {
    return this.chance(0.03) ? this.string() : this.pick(Object.keys(OPERATIONS));
  }

  next(): Hostile {
    return this.chance(0.5) ? this.json() : this.query();
  }

  private json(): Hostile {
    const action = this.action();
    const input = this.input(action);
    let body: Buffer;
    const k = this.int(20);
    if (k === 0) body = Buffer.from(this.pick(['', '{', '[]', '"x"', '1e999999', 'null', '{"QueueUrl":}', '[{}]', '{"a":1,"a":2}']));
    else if (k === 1) body = Buffer.from('['.repeat(5000) + ']'.repeat(5000));
    else if (k === 2) body = Buffer.concat([Buffer.from('{"QueueName":"'), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xc0]), Buffer.from('"}')]);
    else body = Buffer.from(JSON.stringify(input));
    const target = this.chance(0.95) ? `AmazonSQS.${action}` : this.pick(['', 'AmazonSQS.', 'AmazonSQS.__proto__', 'SQS.ListQueues', this.string()]);
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target };
    const path = this.chance(0.97) ? '/' : this.oddPath();
    return this.maybeRawHost({ protocol: 'json', action, method: this.chance(0.97) ? 'POST' : 'GET', path, headers, body });
  }

  private query(): Hostile {
    const action = this.action();
    const input = this.input(action);
    const op = OPERATIONS[action];
    const pairs: [string, string][] = [['Action', action], ['Version', '2012-11-05']];
    if (op?.input) flatten(SHAPES[op.input]!, input, '', pairs);
    if (this.chance(0.1)) pairs.push([this.string(), this.string()]);
    if (this.chance(0.05)) pairs.push([`${this.pick(['Attribute', 'MessageAttribute', 'Tag', 'SendMessageBatchRequestEntry'])}.${this.pick(['0', '-1', '01', '99999999999', '1.5', ''])}.Name`, this.string()]);
    let form = new URLSearchParams(pairs).toString();
    // Raw percent-escapes URLSearchParams would never write: invalid UTF-8, lone surrogates.
    if (this.chance(0.1)) form += `&QueueName=${this.pick(['%ED%A0%80', '%FF', '%', '%C0%80', '%00', '%E0%80'])}`;
    const path = this.chance(0.8) ? '/' : this.chance(0.5) ? `/${this.f.account}/${this.pick(this.f.queues)}` : this.oddPath();
    const get = this.chance(0.3);
    const headers: Record<string, string> = get ? {} : { 'content-type': 'application/x-www-form-urlencoded' };
    return this.maybeRawHost({
      protocol: 'query',
      action,
      method: get ? 'GET' : 'POST',
      path: get ? `${path}?${form}` : path,
      headers,
      body: get ? Buffer.alloc(0) : Buffer.from(form),
    });
  }

  /** A path other than `/`: any text, or the developer peek endpoint with any queue address. */
  private oddPath(): string {
    switch (this.int(4)) {
      case 0:
        return PEEK_PATH;
      case 1:
        return `${PEEK_PATH}/us-east-1/${this.f.account}/${this.pick(this.f.queues)}`;
      case 2:
        return `${PEEK_PATH}/${percent(this.string())}/${percent(this.string())}`;
      default:
        return `/${percent(this.string())}`;
    }
  }

  private maybeRawHost(h: Hostile): Hostile {
    if (!this.chance(0.04)) return h;
    const host = this.pick([
      '', ' ', 'a<b>&"\'', 'h\u0001st', 'évil', 'x'.repeat(3000), 'x/y?z#w', '[::1]:1', 'host:99999999', '%00', 'a b',
      '\\', '"', ']]>', this.f.host,
    ]);
    return { ...h, rawHost: host };
  }
}

/** Percent-encodes the UTF-8 of `s` (lone surrogates as U+FFFD, where encodeURIComponent throws). */
function percent(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** A parameter's text: objects as JSON (String() of {toString: 'x'} throws). */
function text(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** Query parameters for `value` as botocore's serializer flattens them (1-based indices). */
function flatten(s: QueryShape, value: unknown, prefix: string, out: [string, string][]): void {
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (s.t === 'structure') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (prefix) out.push([prefix, text(value)]);
      return;
    }
    const known = new Set(s.m.map((m) => m[0]));
    for (const [member, wire, shapeName] of s.m) {
      const v = (value as Record<string, unknown>)[member];
      if (v !== undefined) flatten(SHAPES[shapeName]!, v, at(wire), out);
    }
    for (const [k, v] of Object.entries(value)) if (!known.has(k)) out.push([at(k), text(v)]);
    return;
  }
  if (s.t === 'list') {
    if (!Array.isArray(value)) return void out.push([prefix, text(value)]);
    const base = s.flat ? prefix : `${prefix}.${s.itemName}`;
    if (value.length === 0) out.push([prefix, '']);
    value.forEach((v, i) => flatten(SHAPES[s.item]!, v, `${base}.${i + 1}`, out));
    return;
  }
  if (s.t === 'map') {
    if (typeof value !== 'object' || value === null) return void out.push([prefix, text(value)]);
    const base = s.flat ? prefix : `${prefix}.entry`;
    Object.entries(value).forEach(([k, v], i) => {
      out.push([`${base}.${i + 1}.${s.keyName}`, k]);
      flatten(SHAPES[s.value]!, v, `${base}.${i + 1}.${s.valueName}`, out);
    });
    return;
  }
  out.push([prefix, text(value)]);
}

export interface Answer {
  status: number;
  contentType: string;
  /** Sluice sets it on every answer; without it the HTTP server itself answered (or none did). */
  requestId: string | null;
  body: string;
}

/** Sends `h` to `endpoint` (http://host:port). */
export async function send(endpoint: string, h: Hostile): Promise<Answer> {
  const odd = Object.values(h.headers).some((v) => /[^\t\x20-\x7e\x80-\xff]/.test(v));
  if (h.rawHost !== undefined || odd) return sendRaw(endpoint, h);
  const init: RequestInit = { method: h.method, headers: h.headers };
  if (h.method === 'POST') init.body = h.body;
  const r = await fetch(endpoint + h.path, init);
  return {
    status: r.status,
    contentType: r.headers.get('content-type') ?? '',
    requestId: r.headers.get('x-amzn-requestid'),
    body: await r.text(),
  };
}

/** How long a raw request may go unanswered before its connection is dropped. */
const RAW_TIMEOUT_MS = 3000;

/** One request on its own connection, its headers as given (fetch refuses odd ones), in UTF-8. */
function sendRaw(endpoint: string, h: Hostile): Promise<Answer> {
  const u = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let head = `${h.method} ${h.path} HTTP/1.1\r\nHost: ${h.rawHost ?? u.host}\r\nConnection: close\r\n`;
    for (const [k, v] of Object.entries(h.headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${h.body.length}\r\n\r\n`;
    // write, not end: a half-closed connection is a client gone away, whose answer (if it
    // waits for the log) is abandoned; the server closes after answering (Connection: close).
    // But uWS waits, neither answering nor closing, after a header it cannot parse (a control
    // character), until the client half-closes.
    const bytes = Buffer.concat([Buffer.from(head, 'utf8'), h.body]);
    const malformed = [...Object.values(h.headers), h.rawHost ?? ''].some((v) => NOT_HTTP.test(v));
    sock.on('connect', () => (malformed ? sock.end(bytes) : sock.write(bytes)));
    sock.on('data', (d) => chunks.push(d));
    // A request the HTTP parser cannot frame may leave it waiting for more bytes.
    sock.setTimeout(RAW_TIMEOUT_MS, () => sock.destroy());
    sock.on('error', reject);
    sock.on('close', () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      const headText = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(headText)?.[1] ?? '';
      const requestId = /\r\nx-amzn-requestid: *([^\r]*)/i.exec(headText)?.[1] ?? null;
      let body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
      if (/\r\ntransfer-encoding: *chunked/i.test(headText)) body = unchunk(body);
      resolve({ status, contentType, requestId, body: body.toString('utf8') });
    });
  });
}

function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const n = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!n) break;
    parts.push(b.subarray(eol + 2, eol + 2 + n));
    at = eol + 2 + n + 2;
  }
  return Buffer.concat(parts);
}

/** XML 1.0's Char production: what a document may hold at all, even as a character reference. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = /^[A-Za-z_][\w.-]*$/;

/**
 * Why `xml` is not a well-formed XML 1.0 document (null when it is): characters outside Char,
 * unknown entities, references to non-characters, unbalanced or crossed elements, text outside
 * the root. Enough for the documents Sluice writes (no DTD, comments or CDATA).
 */
export function xmlProblem(xml: string): string | null {
  if (NOT_XML_CHAR.test(xml)) return 'a character XML 1.0 does not allow';
  let rest = xml.replace(/^<\?xml[^?]*\?>/, '');
  const stack: string[] = [];
  let roots = 0;
  while (rest.length) {
    const lt = rest.indexOf('<');
    const text = lt < 0 ? rest : rest.slice(0, lt);
    if (text.includes('>') && text.includes(']]>')) return "']]>' in text";
    if (text.trim() && stack.length === 0) return 'text outside the root element';
    for (const m of text.matchAll(/&([^;]*);?/g)) {
      const ref = m[1]!;
      if (!m[0].endsWith(';')) return `'&' without ';'`;
      if (['amp', 'lt', 'gt', 'quot', 'apos'].includes(ref)) continue;
      const code = /^#x([0-9a-fA-F]+)$/.exec(ref)?.[1] ?? /^#(\d+)$/.exec(ref)?.[1];
      if (code === undefined) return `unknown entity &${ref};`;
      const cp = ref.startsWith('#x') ? parseInt(code, 16) : Number(code);
      if (cp > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(cp))) return `reference to a non-character &${ref};`;
    }
    if (lt < 0) break;
    const gt = rest.indexOf('>', lt);
    if (gt < 0) return "'<' without '>'";
    const tag = rest.slice(lt + 1, gt);
    rest = rest.slice(gt + 1);
    if (tag.startsWith('/')) {
      if (stack.pop() !== tag.slice(1)) return `unbalanced </${tag.slice(1)}>`;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const [name, ...attrs] = (selfClosing ? tag.slice(0, -1) : tag).trim().split(/\s+/);
    if (!name || !NAME.test(name)) return `bad element name <${tag}>`;
    for (const a of attrs) if (!/^[\w:.-]+="[^"<&]*"$/.test(a)) return `bad attribute in <${tag}>`;
    if (stack.length === 0 && ++roots > 1) return 'more than one root element';
    if (!selfClosing) stack.push(name);
  }
  if (stack.length) return `unclosed <${stack[stack.length - 1]}>`;
  return roots === 1 ? null : 'no root element';
}

/** The escape JSON.stringify writes for a lone surrogate (after removing escaped backslashes). */
const LONE_SURROGATE = /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

/** A header value HTTP/1.1 forbids (a control character other than tab): not an HTTP request. */
const NOT_HTTP = /[\x00-\x08\x0a-\x1f]/;
/** Header bytes an HTTP parser may refuse: controls, and anything past ASCII. */
const ODD_HEADER = /[^\t\x20-\x7e]/;
/** node:http's default limit on a request's head (maxHeaderSize). */
const HEAD_BYTES_MAX = 16 * 1024;
/** What the head holds besides the path and header values: the method and version, header
 * names, separators, and the headers the client adds (Host, Connection, Content-Length, …). */
const HEAD_OVERHEAD_BYTES_MAX = 1024;

/** Whether the HTTP server may refuse `h` itself: odd header bytes, or a head past its limit. */
function httpMayRefuse(h: Hostile): boolean {
  const values = [...Object.values(h.headers), h.rawHost ?? ''];
  const head = values.reduce((n, v) => n + Buffer.byteLength(v), Buffer.byteLength(h.path));
  return values.some((v) => ODD_HEADER.test(v)) || head + HEAD_OVERHEAD_BYTES_MAX > HEAD_BYTES_MAX;
}

/** Why `a` (the answer to `h`) is not a well-formed AWS answer; null when it is. */
export function answerProblem(h: Hostile, a: Answer): string | null {
  if (a.status >= 500) return `status ${a.status}`;
  // The HTTP server itself may refuse a request with odd header bytes or too long a head:
  // node:http and the Rust edge (hyper) answer a bare 400 or 431, uWS drops the connection (README, Known limitations).
  // Everything else gets Sluice's answer.
  if (a.requestId === null) {
    if (httpMayRefuse(h)) return null;
    return a.status === 0 ? 'no HTTP answer' : `an answer without x-amzn-requestid (${a.status})`;
  }
  // uWS reports an empty header as absent, so an empty X-Amz-Target may get a Query answer;
  const json = a.contentType.startsWith('application/x-amz-json-1.0');
  // The developer peek endpoint answers in its own shapes (LocalStack's); only well-formed.
  if (h.path.startsWith(PEEK_PATH)) {
    if (a.contentType.includes('json')) {
      try {
        JSON.parse(a.body);
        return null;
      } catch {
        return 'a peek JSON answer that does not parse';
      }
    }
    const problem = xmlProblem(a.body);
    return problem ? `peek XML: ${problem}` : null;
  }
  // uWS also cuts a header value at its first non-ASCII byte.
  const target = h.headers['x-amz-target'] ?? '';
  if (!json && /^[\x21-\x7e]/.test(target)) return `a ${a.contentType || 'typeless'} answer to a JSON request`;
  if (json) {
    let v: unknown;
    try {
      v = JSON.parse(a.body);
    } catch {
      return 'a JSON answer that does not parse';
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'a JSON answer that is not an object';
    // Strict parsers (serde_json, Go's) refuse the escape of a lone surrogate.
    if (LONE_SURROGATE.test(JSON.stringify(v).replace(/\\\\/g, ''))) return 'a JSON answer with a lone surrogate';
    if (a.status >= 400) {
      const e = v as { __type?: unknown; message?: unknown };
      if (typeof e.__type !== 'string' || !e.__type.startsWith('com.amazonaws.sqs#')) return 'a JSON error without __type';
      if (typeof e.message !== 'string') return 'a JSON error without message';
    }
    return null;
  }
  if (!a.contentType.startsWith('text/xml')) return `content type ${a.contentType}`;
  const problem = xmlProblem(a.body);
  if (problem) return `XML: ${problem}`;
  if (a.status >= 400) {
    if (!/^<\?xml version="1.0"\?><ErrorResponse /.test(a.body)) return 'an XML error that is not an ErrorResponse';
    if (!/<Error><Type>(Sender|Receiver)<\/Type><Code>[^<]+<\/Code><Message>[^<]*<\/Message>/.test(a.body)) {
      return 'an ErrorResponse without Type, Code and Message';
    }
  } else if (!/^<\?xml version="1.0"\?><\w+Response /.test(a.body)) {
    return 'an XML answer that is not a Response';
  }
  return null;
}
