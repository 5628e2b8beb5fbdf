// The peek endpoint, shaped like LocalStack's SQS developer endpoint, so tooling written for it
// works unchanged: lists a queue's messages without changing their visibility or receive count.
//
//   GET  /_aws/sqs/messages?QueueUrl=URL[&ShowInvisible=true][&ShowDelayed=true]
//   GET  /_aws/sqs/messages/REGION/ACCOUNT/NAME[?...]
//        → a ReceiveMessageResponse: XML by default; with `Accept: application/json`, the same
//          document as JSON (as LocalStack's xmltodict renders it: one message is an object,
//          several an array; system attributes as [{Name, Value}]).
//   POST /_aws/sqs/messages   (an SDK whose endpoint is .../_aws/sqs/messages)
//        → ReceiveMessage (JSON or Query protocol) answers with every message; other actions
//          are refused ("This endpoint only accepts ReceiveMessage calls").
//
// Visible messages only by default; ShowInvisible adds in-flight ones (attribute IsVisible),
// ShowDelayed delayed ones (IsDelayed). Needs the core's `peek` verb (see PeekFn). Refused
// (403) when auth is sigv4: the endpoint is unsigned, and message bodies are not public.
import type { Attributes } from './message-attributes.js';
import type { Core, Delivered } from './native.js';
import { SqsError, queryError } from './protocol/errors.js';
import { xmlText } from './protocol/xml.js';
import { decodeJson, encodeJson, encodeJsonError, jsonAction } from './protocol/json.js';
import { decodeQuery, encodeQuery } from './protocol/query.js';
import { parseQueueUrl, type QueueRef } from './queue-url.js';
import type { HttpRequest, HttpResponse } from './transport/types.js';

export const PEEK_PATH = '/_aws/sqs/messages';

/** 0: visible, 1: in flight (not visible), 2: delayed. */
export type PeekState = 0 | 1 | 2;

/** A message as the core's peek verb returns it: as on receive, but `receiptHandle` is ''. */
export type Peeked = Delivered & { state: PeekState };

/**
 * The core verb this needs: up to `max` of the queue's messages in queue order (visible and in
 * flight by send order, delayed ones after), without leasing or counting a receive; in-flight
 * ones only with `includeInflight`, delayed ones only with `includeDelayed`. `null`: no such
 * queue.
 */
export type PeekFn = (key: string, max: number, includeInflight: boolean, includeDelayed: boolean) => Peeked[] | null;

export const PEEK_MAX = 10_000;

function peekFn(core: Core): PeekFn | null {
  const f = (core as unknown as { peek?: PeekFn }).peek;
  return typeof f === 'function' ? f.bind(core) : null;
}

function flag(v: string | null | undefined): boolean {
  return v !== null && v !== undefined && /^(true|1|yes)$/i.test(v);
}

function systemAttributes(m: Peeked, showInvisible: boolean, showDelayed: boolean): Record<string, string> {
  const a: Record<string, string> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentMs),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveMs),
  };
  if (m.sequenceNumber) a['SequenceNumber'] = m.sequenceNumber;
  if (m.dedupId) a['MessageDeduplicationId'] = m.dedupId;
  if (m.groupId) a['MessageGroupId'] = m.groupId;
  if (m.traceHeader) a['AWSTraceHeader'] = m.traceHeader;
  if (m.deadLetterSourceArn) a['DeadLetterQueueSourceArn'] = m.deadLetterSourceArn;
  if (showInvisible) a['IsVisible'] = m.state === 1 ? 'false' : 'true';
  if (showDelayed) a['IsDelayed'] = m.state === 2 ? 'true' : 'false';
  return a;
}

/** The messages as ReceiveMessage's output shape (what encodeJson/encodeQuery take). */
function asReceiveOutput(msgs: Peeked[], showInvisible: boolean, showDelayed: boolean): { Messages?: Record<string, unknown>[] } {
  if (!msgs.length) return {};
  return {
    Messages: msgs.map((m) => {
      const o: Record<string, unknown> = { MessageId: m.messageId };
      if (m.receiptHandle) o['ReceiptHandle'] = m.receiptHandle;
      o['MD5OfBody'] = m.md5OfBody;
      o['Body'] = m.body;
      o['Attributes'] = systemAttributes(m, showInvisible, showDelayed);
      if (m.attributesJson) {
        o['MD5OfMessageAttributes'] = m.md5OfMessageAttributes;
        o['MessageAttributes'] = JSON.parse(m.attributesJson) as Attributes;
      }
      return o;
    }),
  };
}

/** LocalStack's JSON rendering (xmltodict of the XML): single elements are objects, not lists. */
function xmltodictJson(out: { Messages?: Record<string, unknown>[] }, requestId: string): string {
  const one = <T>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0]! : xs);
  const messages = (out.Messages ?? []).map((m) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m)) {
      if (k === 'Attributes') o['Attribute'] = one(Object.entries(v as Record<string, string>).map(([Name, Value]) => ({ Name, Value })));
      else if (k === 'MessageAttributes') {
        o['MessageAttribute'] = one(
          Object.entries(v as Attributes).map(([Name, a]) => ({
            Name,
            Value: a.BinaryValue !== undefined ? { BinaryValue: a.BinaryValue, DataType: a.DataType } : { StringValue: a.StringValue, DataType: a.DataType },
          })),
        );
      } else o[k] = v;
    }
    return o;
  });
  return JSON.stringify({
    ReceiveMessageResponse: {
      ReceiveMessageResult: messages.length ? { Message: one(messages) } : null,
      ResponseMetadata: { RequestId: requestId },
    },
  });
}

function wantsJson(req: HttpRequest): boolean {
  return /application\/json/i.test(req.headers['accept'] ?? '');
}

function errorResponse(e: SqsError, json: boolean, requestId: string): HttpResponse {
  if (!json) {
    const w = queryError(e, requestId);
    return { status: w.status, headers: w.headers, body: w.body };
  }
  const s = e.spec;
  return {
    status: s.httpStatus,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ErrorResponse: { Error: { Type: s.senderFault ? 'Sender' : 'Receiver', Code: s.queryCode, Message: e.message }, RequestId: requestId },
    }),
  };
}

function notImplemented(requestId: string, json: boolean): HttpResponse {
  const message = 'Peek needs the core verb `peek`, which this build does not have.';
  return json
    ? { status: 501, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ErrorResponse: { Error: { Code: 'NotImplemented', Message: message }, RequestId: requestId } }) }
    : {
        status: 501,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0"?><ErrorResponse><Error><Type>Receiver</Type><Code>NotImplemented</Code><Message>${xmlText(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
}

function refOf(req: HttpRequest, params: URLSearchParams, region: string): QueueRef {
  const rest = req.path.slice(PEEK_PATH.length).replace(/^\/+|\/+$/g, '');
  if (rest) {
    const parts = rest.split('/');
    if (parts.length !== 3) throw new SqsError('InvalidAddress');
    const [r, account, name] = parts as [string, string, string];
    if (r !== region) throw new SqsError('QueueDoesNotExist');
    return parseQueueUrl(`/${account}/${name}`);
  }
  const url = params.get('QueueUrl');
  if (!url) throw new SqsError('QueueDoesNotExist');
  // A URL with no /ACCOUNT/NAME path is not a queue address at all (LocalStack: InvalidAddress).
  if (!/\/\d{12}\/[^/]+\/?$/.test(url)) throw new SqsError('InvalidAddress');
  return parseQueueUrl(url);
}

/** Answers a request under /_aws/sqs/messages; synchronous (the core answers from memory). */
export function handlePeek(req: HttpRequest, core: Core, region: string, requestId: string, authOn = false): HttpResponse {
  // Unsigned by design (LocalStack's tooling does not sign it): off when requests must be signed.
  if (authOn) {
    return errorResponse(new SqsError('AccessDeniedException', 'The peek endpoint is off when auth is sigv4.'), wantsJson(req), requestId);
  }
  // POST: an SDK pointed at this path sends a normal ReceiveMessage.
  if (req.method === 'POST') {
    const target = req.headers['x-amz-target'];
    const json = target !== undefined;
    try {
      let action: string;
      let input: Record<string, unknown>;
      if (json) {
        action = jsonAction(target);
        input = decodeJson(req.body);
      } else {
        const params = new URLSearchParams(req.query);
        for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
        ({ action, input } = decodeQuery(params));
      }
      if (action !== 'ReceiveMessage') {
        const e = new SqsError('InvalidAction', 'This endpoint only accepts ReceiveMessage calls');
        const w = json ? encodeJsonError(e) : queryError(e, requestId);
        // LocalStack's code for this refusal.
        return { status: w.status, headers: w.headers, body: w.body.replace(/InvalidAction/g, 'InvalidRequest') };
      }
      const url = input['QueueUrl'];
      if (typeof url !== 'string' || url === '') throw new SqsError('QueueDoesNotExist');
      const peek = peekFn(core);
      if (!peek) return notImplemented(requestId, json);
      const msgs = peek(parseQueueUrl(url).key, PEEK_MAX, false, false);
      if (msgs === null) throw new SqsError('QueueDoesNotExist');
      const out = asReceiveOutput(msgs, false, false);
      return json
        ? { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: encodeJson(out) }
        : { status: 200, headers: { 'content-type': 'text/xml' }, body: encodeQuery('ReceiveMessage', out, requestId) };
    } catch (e) {
      const err = e instanceof SqsError ? e : new SqsError('InternalFailure');
      const w = json ? encodeJsonError(err) : queryError(err, requestId);
      return { status: w.status, headers: w.headers, body: w.body };
    }
  }
  const json = wantsJson(req);
  if (req.method !== 'GET') return errorResponse(new SqsError('InvalidAction', 'This endpoint answers GET (and POST ReceiveMessage).'), json, requestId);
  const params = new URLSearchParams(req.query);
  try {
    const ref = refOf(req, params, region);
    const showInvisible = flag(params.get('ShowInvisible'));
    const showDelayed = flag(params.get('ShowDelayed'));
    const maxArg = Number(params.get('MaxNumberOfMessages') ?? PEEK_MAX);
    const max = Number.isInteger(maxArg) && maxArg > 0 ? Math.min(maxArg, PEEK_MAX) : PEEK_MAX;
    const peek = peekFn(core);
    if (!peek) return notImplemented(requestId, json);
    const msgs = peek(ref.key, max, showInvisible, showDelayed);
    if (msgs === null) throw new SqsError('QueueDoesNotExist');
    const out = asReceiveOutput(msgs, showInvisible, showDelayed);
    return json
      ? { status: 200, headers: { 'content-type': 'application/json' }, body: xmltodictJson(out, requestId) }
      : { status: 200, headers: { 'content-type': 'text/xml' }, body: encodeQuery('ReceiveMessage', out, requestId) };
  } catch (e) {
    return errorResponse(e instanceof SqsError ? e : new SqsError('InternalFailure'), json, requestId);
  }
}
