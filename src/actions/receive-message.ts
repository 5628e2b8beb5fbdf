// ReceiveMessage, with long polling: a receive that finds nothing parks (see long-poll.ts)
// until the queue gains a visible message or the wait ends.
import { LIMITS } from '../generated/limits.js';
import { md5OfAttributes, type Attributes } from '../message-attributes.js';
import { OVER_LIMIT, QUEUE_MISSING, type Delivered, type FastEmpty, type ReceiveJsonResult, type ReceiveResult } from '../native.js';
import { JsonBody } from '../protocol/json.js';
import { SqsError } from '../protocol/errors.js';
import { invalidValue } from '../protocol/errors.js';
import { optInt, optString, optStringList, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { noSuchQueue, queueOf } from './queue.js';

const SYSTEM = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;
const KNOWN = new Set<string>([...SYSTEM, 'All']);
// Queue attribute names older clients pass in AttributeNames; AWS accepts and ignores them.
const QUEUE_ATTRIBUTE_NAMES = new Set([
  'Policy', 'VisibilityTimeout', 'MaximumMessageSize', 'MessageRetentionPeriod',
  'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'CreatedTimestamp',
  'LastModifiedTimestamp', 'QueueArn', 'ApproximateNumberOfMessagesDelayed', 'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication',
  'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'DeduplicationScope', 'FifoThroughputLimit',
  'RedriveAllowPolicy', 'SqsManagedSseEnabled',
]);

interface Shape {
  system: Set<string>;
  /** `system` as the core's bit mask: bit i for SYSTEM[i]. */
  systemMask: number;
  /** null: no message attributes; 'all'; or names and prefixes (`foo` for `foo.*`). */
  attrs: null | 'all' | { names: Set<string>; prefixes: string[] };
}

function shapeOf(input: Input): Shape {
  const names = [...(optStringList(input, 'AttributeNames') ?? []), ...(optStringList(input, 'MessageSystemAttributeNames') ?? [])];
  const system = new Set<string>();
  for (const n of names) {
    if (QUEUE_ATTRIBUTE_NAMES.has(n) && !KNOWN.has(n)) continue;
    if (!KNOWN.has(n)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
    if (n === 'All') SYSTEM.forEach((s) => system.add(s));
    else system.add(n);
  }
  const wanted = optStringList(input, 'MessageAttributeNames') ?? [];
  let attrs: Shape['attrs'] = null;
  if (wanted.some((n) => n === 'All' || n === '.*')) attrs = 'all';
  else if (wanted.length) {
    const set = new Set<string>();
    const prefixes: string[] = [];
    for (const n of wanted) {
      // `Hel.*` names every attribute starting `Hel` (Hello, Help.Me), as AWS filters them.
      if (n.endsWith('.*')) prefixes.push(n.slice(0, -2));
      else set.add(n);
    }
    attrs = { names: set, prefixes };
  }
  let systemMask = 0;
  SYSTEM.forEach((n, i) => {
    if (system.has(n)) systemMask |= 1 << i;
  });
  return { system, systemMask, attrs };
}

function render(m: Delivered, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5OfBody,
    Body: m.body,
  };
  if (shape.system.size) {
    const a: Record<string, string> = {};
    for (const s of shape.system) {
      const v = systemValue(m, s);
      if (v) a[s] = v;
    }
    out['Attributes'] = a;
  }
  if (shape.attrs && m.attributesJson) {
    const all = JSON.parse(m.attributesJson) as Attributes;
    if (shape.attrs === 'all') {
      out['MD5OfMessageAttributes'] = m.md5OfMessageAttributes;
      out['MessageAttributes'] = all;
    } else {
      const { names, prefixes } = shape.attrs;
      // fromEntries keeps an attribute named __proto__ a key (see parseAttributes).
      const picked: Attributes = Object.fromEntries(
        Object.entries(all).filter(([k]) => names.has(k) || prefixes.some((p) => k.startsWith(p))),
      );
      const md5 = md5OfAttributes(picked);
      if (md5) {
        out['MD5OfMessageAttributes'] = md5;
        out['MessageAttributes'] = picked;
      }
    }
  }
  return out;
}

function systemValue(m: Delivered, name: string): string {
  switch (name) {
    case 'SenderId': return m.senderId;
    case 'SentTimestamp': return String(m.sentMs);
    case 'ApproximateReceiveCount': return String(m.receiveCount);
    case 'ApproximateFirstReceiveTimestamp': return String(m.firstReceiveMs);
    case 'SequenceNumber': return m.sequenceNumber;
    case 'MessageDeduplicationId': return m.dedupId;
    case 'MessageGroupId': return m.groupId;
    case 'AWSTraceHeader': return m.traceHeader;
    case 'DeadLetterQueueSourceArn': return m.deadLetterSourceArn;
    default: return '';
  }
}

export const receiveMessage: Action = {
  name: 'ReceiveMessage',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const max = optInt(input, 'MaxNumberOfMessages', 1, LIMITS.receive_messages_max, 'Must be between 1 and 10, if provided.') ?? 1;
    const visibility = optInt(input, 'VisibilityTimeout', 0, LIMITS.visibility_timeout_s_max, `Must be >= 0 and <= ${LIMITS.visibility_timeout_s_max}, if provided.`) ?? -1;
    const waitArg = optInt(input, 'WaitTimeSeconds', 0, LIMITS.wait_time_s_max, `Must be >= 0 and <= ${LIMITS.wait_time_s_max}, if provided.`);
    const attemptId = optString(input, 'ReceiveRequestAttemptId') ?? null;
    if (attemptId !== null && (attemptId.length > LIMITS.receive_request_attempt_id_len_max || !/^[\x21-\x7e]+$/.test(attemptId))) {
      throw invalidValue('ReceiveRequestAttemptId', attemptId, 'ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
    }
    const shape = shapeOf(input);
    const attempt = q.name.endsWith('.fifo') ? attemptId : null;
    // JSON answers are rendered by the core unless message attributes are filtered by name.
    const rendered = ctx.json && (shape.attrs === null || shape.attrs === 'all');
    const take = (park: boolean): Got =>
      rendered
        ? ctx.core.receiveJson(q.key, max, visibility, attempt, park, shape.systemMask, shape.attrs === 'all')
        : ctx.core.receive(q.key, max, visibility, attempt, park);
    // The core registers this worker for a wake-up only when it finds nothing; a short poll
    // (WaitTimeSeconds=0) never registers.
    const first = take(waitArg !== 0);
    if (first.status !== 0 || count(first)) return answer(first, shape);
    return waitForMessages(ctx, first.queueId, first.waitS, waitArg, take, shape);
  },
};

/**
 * ReceiveMessage after the core's fast path (src/fast-path.ts) found nothing, having read
 * the request and registered this worker for wake-ups if it may wait.
 */
export function parkFast(ctx: Context, e: FastEmpty): object | Promise<object> {
  const take = (park: boolean): Got => ctx.core.receiveJson(e.key, e.max, e.visibilityS, null, park, e.system, e.attributes);
  return waitForMessages(ctx, e.queueId, e.queueWaitS, e.waitS, take, null);
}

type Got = ReceiveResult | ReceiveJsonResult;

function count(r: Got): number {
  return r.status !== 0 ? 0 : 'json' in r ? r.count : r.messages.length;
}

/** `shape`: how to render messages the core did not render (null: it rendered them all). */
function answer(r: Got, shape: Shape | null): object {
  if (r.status === QUEUE_MISSING) throw noSuchQueue();
  if (r.status === OVER_LIMIT) {
    throw new SqsError('OverLimit', `Too many messages in flight: the limit is ${LIMITS.inflight_per_queue_max}.`);
  }
  if (!count(r)) return {};
  if ('json' in r) return new JsonBody(r.json, r.count);
  return { Messages: (r as Extract<ReceiveResult, { status: 0 }>).messages.map((m) => render(m, shape!)) };
}

/**
 * The long poll, after a first look found nothing: answers empty at once when there is no wait,
 * or parks until `take` finds something or the wait ends. `waitArg`: WaitTimeSeconds as given;
 * `queueWaitS`: the queue's default.
 */
function waitForMessages(
  ctx: Context,
  queueId: number,
  queueWaitS: number,
  waitArg: number | undefined,
  take: (park: boolean) => Got,
  shape: Shape | null,
): object | Promise<object> {
  const wait = waitArg ?? queueWaitS;
  if (wait === 0 || ctx.aborted) {
    // The queue's default wait is 0: take back the registration, unless other receives on
    // this worker wait on the same queue.
    if (waitArg === undefined && !ctx.longPoll.has(queueId)) ctx.core.unpark(queueId);
    return {};
  }
  return new Promise<object>((resolve, reject) => {
    const settle = (r: Got | null) => {
      try {
        resolve(r ? answer(r, shape) : {});
      } catch (e) {
        reject(e);
      }
    };
    const waiter = {
      queueId,
      retry: () => {
        let r: Got;
        try {
          r = take(true);
        } catch (e) {
          reject(e);
          return true;
        }
        if (r.status === 0 && count(r) === 0) return false;
        // As on the request path: the answer waits until the leases' record is durable.
        const lsn = ctx.core.takeLsn();
        if (!ctx.core.afterDurable(lsn, () => settle(r), reject)) settle(r);
        return true;
      },
      expire: () => settle(null),
    };
    ctx.longPoll.park(waiter, wait * 1000);
    ctx.onAbort = () => ctx.longPoll.remove(waiter);
  });
}
