// Turning one SendMessage (or batch entry) into what the core stores, with AWS's checks.
import { LIMITS } from '../generated/limits.js';
import { invalidContents, parseAttributes } from '../message-attributes.js';
import { SqsError, invalidValue, missingParameter } from '../protocol/errors.js';
import type { SendInput, SendResult } from '../native.js';
import { hasInvalidChars, optInt, optString, type Input } from '../validate.js';

/**
 * A parameter the queue's type does not take, in AWS's words (sic): a single send quotes the
 * value and ends with a period; a batch entry's failure is the bare sentence without one
 * (docs/contract.md).
 */
const QUEUE_TYPE = 'The request include parameter that is not valid for this queue type';

function wrongQueueType(param: string, value: unknown, inBatch: boolean): SqsError {
  return inBatch ? new SqsError('InvalidParameterValueException', QUEUE_TYPE) : invalidValue(param, value, `${QUEUE_TYPE}.`);
}

/** Letters, digits and ASCII punctuation, as MessageGroupId and MessageDeduplicationId allow. */
const TOKEN = /^[\x21-\x7e]+$/;

export interface Prepared {
  input: SendInput;
  md5OfMessageAttributes: string | undefined;
  md5OfSystemAttributes: string | undefined;
  /** FIFO: the entry named no MessageDeduplicationId (the content hash stands in for it). */
  dedupFromContent: boolean;
}

/** `inBatch`: `e` is a SendMessageBatch entry (some refusals are worded differently there). */
export function prepareSend(e: Input, fifo: boolean, inBatch = false): Prepared {
  const body = e['MessageBody'];
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw new SqsError('SerializationException', 'Parameter MessageBody must be a string.');
  if (hasInvalidChars(body)) throw invalidContents();
  const attrs = parseAttributes(e['MessageAttributes']);
  const system = parseSystemAttributes(e['MessageSystemAttributes']);
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const size = bodyBytes + attrs.size;
  if (size > LIMITS.message_bytes_max) {
    throw new SqsError(
      'InvalidParameterValueException',
      `One or more parameters are invalid. Reason: Message must be shorter than ${LIMITS.message_bytes_max} bytes.`,
    );
  }
  const delay = optInt(e, 'DelaySeconds', 0, LIMITS.delay_s_max, `DelaySeconds must be >= 0 and <= ${LIMITS.delay_s_max}.`);
  const groupId = optString(e, 'MessageGroupId');
  let dedupId = optString(e, 'MessageDeduplicationId');
  if (groupId !== undefined) checkToken('MessageGroupId', groupId, LIMITS.message_group_id_len_max);
  if (dedupId !== undefined) checkToken('MessageDeduplicationId', dedupId, LIMITS.dedup_id_len_max);
  let fromContent = false;
  if (fifo) {
    if (delay !== undefined && delay !== 0) {
      throw wrongQueueType('DelaySeconds', delay, inBatch);
    }
    if (groupId === undefined) throw missingParameter('MessageGroupId');
    if (dedupId === undefined) {
      // The core derives it: the SHA-256 of the body.
      dedupId = '';
      fromContent = true;
    }
  } else if (dedupId !== undefined) {
    throw wrongQueueType('MessageDeduplicationId', dedupId, inBatch);
  }
  return {
    input: {
      body,
      attributesJson: attrs.json,
      size,
      attributesMd5: attrs.md5,
      // FIFO queues have only the queue's delay (an explicit 0 is accepted and means nothing).
      delayS: fifo ? -1 : (delay ?? -1),
      groupId: groupId ?? '',
      dedupId: dedupId ?? '',
      dedupFromContent: fromContent,
      traceHeader: system.traceHeader,
    },
    md5OfMessageAttributes: attrs.md5?.toString('hex'),
    md5OfSystemAttributes: system.md5,
    dedupFromContent: fromContent,
  };
}

function checkToken(name: string, v: string, max: number): void {
  if (v.length === 0 || v.length > max || !TOKEN.test(v)) {
    throw invalidValue(name, v, `${name} can only include alphanumeric and punctuation characters. 1 to ${max} in length.`);
  }
}

function parseSystemAttributes(raw: unknown): { traceHeader: string; md5: string | undefined } {
  if (raw === undefined || raw === null) return { traceHeader: '', md5: undefined };
  const names = Object.keys(raw as object);
  for (const n of names) {
    if (n !== 'AWSTraceHeader') {
      throw new SqsError('InvalidParameterValueException', `Message system attribute name '${n}' is invalid.`);
    }
  }
  if (names.length === 0) return { traceHeader: '', md5: undefined };
  const parsed = parseAttributes(raw, 'MessageSystemAttributes');
  const v = (raw as Record<string, { DataType?: string; StringValue?: string }>)['AWSTraceHeader']!;
  if (v.DataType !== 'String') {
    throw new SqsError('InvalidParameterValueException', "The message system attribute 'AWSTraceHeader' must be of type String.");
  }
  return { traceHeader: v.StringValue ?? '', md5: parsed.md5?.toString('hex') };
}

/** Maps the core's per-entry refusal to AWS's error. */
export function sendRefusal(r: Exclude<SendResult, { ok: true }>): SqsError {
  switch (r.reason) {
    case 'TooLarge':
      return new SqsError(
        'InvalidParameterValueException',
        `One or more parameters are invalid. Reason: Message must be shorter than ${r.maximumMessageBytes} bytes.`,
      );
    case 'DedupIdRequired':
      return new SqsError(
        'InvalidParameterValueException',
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    case 'GroupIdRequired':
      return missingParameter('MessageGroupId');
  }
}

export function sentFields(p: Prepared, r: Extract<SendResult, { ok: true }>): Record<string, string> {
  const out: Record<string, string> = { MessageId: r.messageId, MD5OfMessageBody: r.md5OfBody };
  if (p.md5OfMessageAttributes) out['MD5OfMessageAttributes'] = p.md5OfMessageAttributes;
  if (p.md5OfSystemAttributes) out['MD5OfMessageSystemAttributes'] = p.md5OfSystemAttributes;
  if (r.sequenceNumber) out['SequenceNumber'] = r.sequenceNumber;
  return out;
}
