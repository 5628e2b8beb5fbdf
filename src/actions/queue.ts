// Resolving the queue a request names, and the errors the core's answers map to.
import { SqsError } from '../protocol/errors.js';
import { parseQueueArn, parseQueueUrl, type QueueRef } from '../queue-url.js';
import { optString, type Input } from '../validate.js';
import type { Context } from './context.js';

export function queueOf(ctx: Context, input: Input): QueueRef {
  void ctx;
  // A missing or empty QueueUrl is an unknown queue on AWS, not a missing parameter.
  const url = optString(input, 'QueueUrl');
  if (url === undefined || url === '') throw noSuchQueue();
  return parseQueueUrl(url);
}

export function noSuchQueue(): SqsError {
  return new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
}

/** Throws QueueDoesNotExist when the core answered `null` or `{error: 'QueueDoesNotExist'}`. */
export function must<T>(v: T | null): T {
  if (v === null) throw noSuchQueue();
  const err = (v as { error?: string }).error;
  if (err === 'QueueDoesNotExist') throw noSuchQueue();
  return v;
}

/** A RedrivePolicy must name a dead-letter queue that exists (AWS: InvalidParameterValue). */
export function checkRedriveTarget(ctx: Context, attrs: Record<string, string>): void {
  const rp = attrs['RedrivePolicy'];
  if (!rp) return;
  const p = JSON.parse(rp) as { deadLetterTargetArn: string };
  const target = parseQueueArn(p.deadLetterTargetArn)!;
  const info = ctx.core.admin('info', { key: `${target.account}/${target.name}` });
  if (info === null || info.error === 'QueueDoesNotExist') {
    throw new SqsError(
      'InvalidParameterValueException',
      `Value ${rp} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
    );
  }
}
