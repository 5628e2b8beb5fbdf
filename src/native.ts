// The only importer of the .node addon: a typed wrapper over the core's batch verbs. Everything
// here is sync: the core answers from memory (see native/binding/src/lib.rs for why per verb).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Reader, Writer, stringList } from './native/codec.js';
import { SqsError } from './protocol/errors.js';
import { wellFormedDeep } from './unicode.js';

interface BrokerHandle {
  queueAdmin(op: string, request: string): string;
  sendBatch(key: string, senderId: string, batch: Buffer): Buffer;
  receive(key: string, max: number, visibilityS: number, attemptId: string | null, park: boolean): Buffer;
  receiveJson(key: string, max: number, visibilityS: number, attemptId: string | null, park: boolean, system: number, attributes: boolean): Buffer;
  fastJson(action: number, body: Buffer): Buffer | null;
  setFastSenderId(senderId: string): void;
  unpark(queueId: number): void;
  deleteBatch(key: string, handles: Buffer): Buffer;
  changeVisibilityBatch(key: string, handles: Buffer, timeoutsS: Uint32Array): Buffer;
  advanceClock(ms: number): void;
  stats(): string;
  checkpoint(): number;
  queueStats(): string;
  peek(key: string, max: number, inflight: boolean, delayed: boolean): Buffer;
  close(): void;
}

/** The Rust HTTP edge (native/edge through native/binding/src/edge.rs). */
export interface EdgeServer {
  readonly port: number;
  /** `headers`: names and values alternating, each followed by a NUL. */
  respond(id: number, status: number, headers: string, requestId: string | undefined, body: string | Buffer): void;
  close(onClosed: () => void): void;
}

export interface EdgeLimits {
  bodyBytes: number;
  headerBytes?: number;
  headerReadTimeoutMs?: number;
  bodyReadTimeoutMs?: number;
  connections?: number;
}

export type EdgeRequestFn = (
  id: number,
  method: string,
  path: string,
  query: string,
  headers: Record<string, string>,
  body: Buffer,
  peer: string,
  tooLarge: boolean,
) => void;

interface Binding {
  checkDataDir(dataDir: string): string;
  EdgeServer: {
    start(host: string, port: number, limits: EdgeLimits, headers: readonly string[] | null, onRequest: EdgeRequestFn, onAbort: (id: number) => void): EdgeServer;
  };
  BrokerHandle: new (
    dataDir: string,
    durability: string,
    payloadMemoryMaxMb: number,
    onEvent: (event: [kind: number, value: number]) => void,
  ) => BrokerHandle;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.endsWith(path.join('dist', 'src')) ? path.resolve(here, '../..') : path.resolve(here, '..');
const binding = createRequire(import.meta.url)(
  path.join(root, 'native/binding/sluice.linux-x64-gnu.node'),
) as Binding;

/** Validates a data directory's log without opening it; throws naming file and offset. */
export function checkDataDir(dataDir: string): Record<string, unknown> {
  return JSON.parse(binding.checkDataDir(dataDir)) as Record<string, unknown>;
}

/** Binds the Rust edge; `onRequest` runs on this thread for each request (see src/transport/edge.ts). */
export function startEdge(
  host: string,
  port: number,
  limits: EdgeLimits,
  headers: readonly string[] | null,
  onRequest: EdgeRequestFn,
  onAbort: (id: number) => void,
): EdgeServer {
  return binding.EdgeServer.start(host, port, limits, headers, onRequest, onAbort);
}

export const QUEUE_MISSING = 1;
export const OVER_LIMIT = 2;
export const STORAGE = 3;
/** fastJson: a ReceiveMessage found nothing. */
const FAST_EMPTY = 4;

function storageFailure(): SqsError {
  return new SqsError('ServiceUnavailable', 'The request could not be stored; try again later.');
}

export interface SendInput {
  body: string;
  /** The attributes as JSON text, exactly as the JSON protocol returns them; '' for none. */
  attributesJson: string;
  /** Size as AWS counts it: body plus attribute names, types and values. */
  size: number;
  attributesMd5: Buffer | null;
  /** -1: the queue's DelaySeconds. */
  delayS: number;
  groupId: string;
  /** '' with dedupFromContent: the core derives it (SHA-256 of the body). */
  dedupId: string;
  dedupFromContent: boolean;
  traceHeader: string;
}

export type SendResult =
  | { ok: true; duplicate: boolean; messageId: string; md5OfBody: string; sequenceNumber: string }
  | { ok: false; reason: 'TooLarge'; maximumMessageBytes: number }
  | { ok: false; reason: 'DedupIdRequired' | 'GroupIdRequired' };

export interface Delivered {
  receiptHandle: string;
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes: string;
  body: string;
  attributesJson: string;
  sentMs: number;
  firstReceiveMs: number;
  receiveCount: number;
  senderId: string;
  groupId: string;
  dedupId: string;
  sequenceNumber: string;
  traceHeader: string;
  deadLetterSourceArn: string;
}

/** A ReceiveMessage the JSON fast path read and found nothing for: the long poll's to finish. */
export interface FastEmpty {
  empty: true;
  key: string;
  queueId: number;
  /** The queue's ReceiveMessageWaitTimeSeconds. */
  queueWaitS: number;
  /** WaitTimeSeconds as given. */
  waitS: number | undefined;
  max: number;
  /** -1: the queue's VisibilityTimeout. */
  visibilityS: number;
  /** System attributes wanted, as receiveJson's mask. */
  system: number;
  attributes: boolean;
}

/** An answer of the JSON fast path. */
export interface FastAnswer {
  empty: false;
  /** Messages sent, received or deleted (metrics). */
  count: number;
  /** The queue's core key, account/name (metrics). */
  key: string;
  /** Size of each message sent, as AWS counts it (metrics). */
  sizes: number[];
  /** The answer's JSON body. */
  body: Buffer;
}

export type Peeked = Delivered & { state: 0 | 1 | 2 };

export type ReceiveResult =
  | { status: 0; waitS: number; queueId: number; messages: Delivered[] }
  | { status: typeof QUEUE_MISSING | typeof OVER_LIMIT };

/** A receive answered in the JSON protocol's bytes: `json` is the whole body when `count > 0`. */
export type ReceiveJsonResult =
  | { status: 0; waitS: number; queueId: number; count: number; json: Buffer }
  | { status: typeof QUEUE_MISSING | typeof OVER_LIMIT };

/** Per entry: 0 deleted, 1 stale handle (success, nothing deleted), 2 invalid handle. */
export type HandleOutcome = 0 | 1 | 2 | 3 | 4 | 5;

const SEND_ERRORS = { 2: 'TooLarge', 3: 'DedupIdRequired', 4: 'GroupIdRequired' } as const;

/**
 * The core, for one JS thread. Calls are sync; a call that changed state records the log
 * position (Lsn) its answer must wait for, and `takeLsn` hands the request path the highest
 * one, so a send or delete is acknowledged only once durable (group commit: the log's writer
 * thread reports each fsync once per thread, not once per request).
 */
export class Core {
  private readonly handle: BrokerHandle;
  private durableLsn = 0;
  /** The SenderId the core's fast path was last given. */
  private fastSenderId = '';
  private pendingLsn = 0;
  // Answers waiting for the log, in Lsn order. Plain callbacks, not promises: one fewer
  // allocation and microtask per acknowledged request.
  private readonly waiting: { lsn: number; resolve: () => void; reject: (e: SqsError) => void }[] = [];

  constructor(dataDir: string, durability: string, payloadMemoryMb: number, onWake: (queueId: number) => void) {
    this.handle = new binding.BrokerHandle(dataDir, durability, payloadMemoryMb, ([kind, value]) => {
      if (kind === 1) onWake(value);
      else if (kind === 2) this.durable(value);
      else if (kind === 3) this.storageFailed(value);
    });
  }

  private durable(lsn: number): void {
    if (lsn <= this.durableLsn) return;
    this.durableLsn = lsn;
    let n = 0;
    while (n < this.waiting.length && this.waiting[n]!.lsn <= lsn) n++;
    // Taken off the list before any answer is sent, so a callback can never see itself waiting.
    if (n) for (const w of this.waiting.splice(0, n)) w.resolve();
  }

  /** The log failed: what is durable stays acknowledged, everything after fails. */
  private storageFailed(durable: number): void {
    this.durable(durable);
    for (const w of this.waiting.splice(0)) w.reject(storageFailure());
  }

  private note(lsn: number): void {
    if (lsn > this.pendingLsn) this.pendingLsn = lsn;
  }

  /** The Lsn the current request must wait for (0: none), and forget it. */
  takeLsn(): number {
    const l = this.pendingLsn;
    this.pendingLsn = 0;
    return l;
  }

  /**
   * `null` when `lsn` is durable already; otherwise a promise that resolves when it is, or
   * rejects with ServiceUnavailable if the log fails first.
   */
  whenDurable(lsn: number): Promise<void> | null {
    if (lsn === 0 || lsn <= this.durableLsn) return null;
    return new Promise((resolve, reject) => {
      this.afterDurable(lsn, resolve, reject);
    });
  }

  /**
   * The request path's form of `whenDurable`: false when `lsn` is durable already (answer
   * now); otherwise calls `resolve` once it is, or `reject` if the log fails first.
   */
  afterDurable(lsn: number, resolve: () => void, reject: (e: SqsError) => void): boolean {
    if (lsn === 0 || lsn <= this.durableLsn) return false;
    // Lsns of one thread's calls increase, so the list stays sorted.
    this.waiting.push({ lsn, resolve, reject });
    return true;
  }

  /**
   * One queue administration call; the request crosses as JSON text. Strings in it are the
   * client's (a queue name, prefix, tag, policy) and any of them may hold a lone surrogate,
   * which JSON.stringify writes as a `\ud800` escape that serde_json refuses, failing the whole
   * request. So every string crosses well-formed (lone surrogates as U+FFFD, as on every other
   * crossing): a name that cannot exist then simply does not, and validation, not this
   * encoding, decides what AWS would refuse.
   */
  admin<T = Record<string, unknown>>(op: string, request: object): T & { error?: string } {
    const text = JSON.stringify(wellFormedDeep(request));
    const out = JSON.parse(this.handle.queueAdmin(op, text)) as T & { error?: string; lsn?: number };
    if (out.error === 'Storage') throw storageFailure();
    if (out.lsn) this.note(out.lsn);
    return out;
  }

  /** `null` when the queue does not exist. */
  sendBatch(key: string, senderId: string, entries: readonly SendInput[]): SendResult[] | null {
    const w = new Writer(256 + entries.reduce((n, e) => n + e.body.length * 3 + e.attributesJson.length * 3, 0));
    w.u32(entries.length);
    for (const e of entries) {
      w.u32(e.size);
      w.str(e.body);
      w.str(e.attributesJson);
      if (e.attributesMd5) {
        w.u8(1);
        w.bytes(e.attributesMd5);
      } else {
        w.u8(0);
        w.bytes(ZERO_MD5);
      }
      w.i32(e.delayS);
      w.str(e.groupId);
      w.str(e.dedupId);
      w.u8(e.dedupFromContent ? 1 : 0);
      w.str(e.traceHeader);
    }
    const r = new Reader(this.handle.sendBatch(key, senderId, w.finish()));
    const status = r.u8();
    if (status === QUEUE_MISSING) return null;
    if (status === STORAGE) throw storageFailure();
    this.note(r.f64());
    const out: SendResult[] = [];
    for (let i = 0; i < entries.length; i++) {
      const code = r.u8();
      const messageId = r.str();
      const md5OfBody = r.str();
      const sequenceNumber = r.str();
      const extra = r.u32();
      if (code <= 1) out.push({ ok: true, duplicate: code === 1, messageId, md5OfBody, sequenceNumber });
      else if (code === 2) out.push({ ok: false, reason: 'TooLarge', maximumMessageBytes: extra });
      else out.push({ ok: false, reason: SEND_ERRORS[code as 3 | 4] });
    }
    return out;
  }

  /** Leases messages; the answer waits for their record (`takeLsn`), as a send's does. */
  receive(key: string, max: number, visibilityS: number, attemptId: string | null, park: boolean): ReceiveResult {
    const b = this.handle.receive(key, max, visibilityS, attemptId, park);
    if (b[0] === STORAGE) throw storageFailure();
    if (b[0] === 0) this.note(b.readDoubleLE(13));
    return decodeReceive(b, true);
  }

  /**
   * As `receive`, with the answer already rendered as the JSON protocol's ReceiveMessage body
   * (no JS object per message). `system`: bit i set for SYSTEM_ATTRIBUTES[i];
   * `attributes`: every message attribute.
   */
  receiveJson(
    key: string,
    max: number,
    visibilityS: number,
    attemptId: string | null,
    park: boolean,
    system: number,
    attributes: boolean,
  ): ReceiveJsonResult {
    const b = this.handle.receiveJson(key, max, visibilityS, attemptId, park, system, attributes);
    const status = b[0]!;
    if (status === STORAGE) throw storageFailure();
    if (status !== 0) return { status: status as typeof QUEUE_MISSING };
    this.note(b.readDoubleLE(13));
    const count = b.readUInt32LE(21);
    return { status: 0, waitS: b.readUInt32LE(1), queueId: b.readDoubleLE(5), count, json: b.subarray(25) };
  }

  /**
   * One of the JSON protocol's hot actions answered by the core from its request body
   * (native/binding/src/fast.rs; `action` is a code from src/fast-path.ts), or `null` when the
   * core declines it, having changed nothing: the general path then answers it.
   */
  fastJson(action: number, body: Buffer, senderId: string): FastAnswer | FastEmpty | null {
    if (senderId !== this.fastSenderId) {
      this.handle.setFastSenderId(senderId);
      this.fastSenderId = senderId;
    }
    const b = this.handle.fastJson(action, body);
    if (b === null) return null;
    if (b[0] === STORAGE) throw storageFailure();
    if (b[0] === FAST_EMPTY) {
      const waitS = b.readInt32LE(13);
      return {
        empty: true,
        queueId: b.readDoubleLE(1),
        queueWaitS: b.readUInt32LE(9),
        waitS: waitS < 0 ? undefined : waitS,
        max: b.readUInt32LE(17),
        visibilityS: b.readInt32LE(21),
        system: b.readUInt32LE(25),
        attributes: b[29] === 1,
        key: b.toString('latin1', 30),
      };
    }
    this.note(b.readDoubleLE(1));
    const count = b.readUInt32LE(9);
    const keyEnd = 17 + b.readUInt32LE(13);
    const key = b.toString('latin1', 17, keyEnd);
    const n = b.readUInt32LE(keyEnd);
    const sizes: number[] = [];
    for (let i = 0; i < n; i++) sizes.push(b.readUInt32LE(keyEnd + 4 + 4 * i));
    return { empty: false, count, key, sizes, body: b.subarray(keyEnd + 4 + 4 * n) };
  }

  /**
   * Up to `max` messages without leasing them (developer peek): visible and, if asked, in-flight
   * ones in send order, then delayed ones if asked. `state`: 0 visible, 1 in flight, 2 delayed.
   * Receipt handles are empty. `null`: no such queue.
   */
  peek(key: string, max: number, includeInflight = false, includeDelayed = false): Peeked[] | null {
    const buf = this.handle.peek(key, max, includeInflight, includeDelayed);
    const r = decodeReceive(buf, false);
    if (r.status !== 0) return null;
    const n = r.messages.length;
    return r.messages.map((m, i) => ({ ...m, state: buf[buf.length - n + i] as 0 | 1 | 2 }));
  }

  unpark(queueId: number): void {
    this.handle.unpark(queueId);
  }

  /** `null` when the queue does not exist. */
  deleteBatch(key: string, handles: readonly string[]): HandleOutcome[] | null {
    return this.outcomes(this.handle.deleteBatch(key, stringList(handles)), handles.length);
  }

  /** Per entry: 0 changed, 2 invalid handle, 3 not in flight, 4 past 12 hours. */
  changeVisibilityBatch(key: string, handles: readonly string[], timeoutsS: readonly number[]): HandleOutcome[] | null {
    const b = this.handle.changeVisibilityBatch(key, stringList(handles), Uint32Array.from(timeoutsS));
    return this.outcomes(b, handles.length);
  }

  private outcomes(b: Buffer, n: number): HandleOutcome[] | null {
    if (b[0] === QUEUE_MISSING) return null;
    if (b[0] === STORAGE) throw storageFailure();
    this.note(b.readDoubleLE(1));
    const out: HandleOutcome[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = b[i + 9] as HandleOutcome;
    return out;
  }

  advanceClock(ms: number): void {
    this.handle.advanceClock(ms);
  }

  checkpoint(): number {
    return this.handle.checkpoint();
  }

  /** Every queue's gauges in one call: key, visible, in flight, delayed, oldest sent (ms, 0: none). */
  queueStats(): [key: string, visible: number, inflight: number, delayed: number, oldestSentMs: number][] {
    return JSON.parse(this.handle.queueStats()) as [string, number, number, number, number][];
  }

  stats(): Record<string, unknown> {
    return JSON.parse(this.handle.stats()) as Record<string, unknown>;
  }

  close(): void {
    this.handle.close();
  }
}

const ZERO_MD5 = Buffer.alloc(16);

/** `leased`: a receive's answer, which carries the Lsn of its leases (peek's does not). */
function decodeReceive(buf: Buffer, leased: boolean): ReceiveResult {
  const r = new Reader(buf);
  const status = r.u8();
  if (status !== 0) return { status: status as typeof QUEUE_MISSING };
  const waitS = r.u32();
  const queueId = r.f64();
  if (leased) r.f64();
  const n = r.u32();
  const messages: Delivered[] = new Array(n);
  for (let i = 0; i < n; i++) {
    messages[i] = {
      receiptHandle: r.str(),
      messageId: r.str(),
      md5OfBody: r.str(),
      md5OfMessageAttributes: r.str(),
      body: r.str(),
      attributesJson: r.str(),
      sentMs: r.f64(),
      firstReceiveMs: r.f64(),
      receiveCount: r.u32(),
      senderId: r.str(),
      groupId: r.str(),
      dedupId: r.str(),
      sequenceNumber: r.str(),
      traceHeader: r.str(),
      deadLetterSourceArn: r.str(),
    };
  }
  return { status: 0, waitS, queueId, messages };
}
