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

/**
 * A RedrivePolicy must name a dead-letter queue that exists and whose RedriveAllowPolicy lets
 * `sourceArn` use it (denyAll: no queue; byQueue: only the listed ARNs). AWS answers both with
 * InvalidParameterValue; the wording of the RedriveAllowPolicy refusal is our guess [G].
 */
export function checkRedriveTarget(ctx: Context, attrs: Record<string, string>, sourceArn: string): void {
  const rp = attrs['RedrivePolicy'];
  if (!rp) return;
  const p = JSON.parse(rp) as { deadLetterTargetArn: string };
  const target = parseQueueArn(p.deadLetterTargetArn)!;
  const info = ctx.core.admin<{ attributes?: Record<string, string> }>('info', { key: `${target.account}/${target.name}` });
  if (info === null || info.error === 'QueueDoesNotExist') {
    throw new SqsError(
      'InvalidParameterValueException',
      `Value ${rp} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
    );
  }
  const allow = info.attributes?.['RedriveAllowPolicy'];
  if (!allow) return;
  let policy: { redrivePermission?: string; sourceQueueArns?: unknown };
  try {
    policy = JSON.parse(allow) as typeof policy;
  } catch {
    return;
  }
  const listed = Array.isArray(policy.sourceQueueArns) && policy.sourceQueueArns.includes(sourceArn);
  if (policy.redrivePermission === 'denyAll' || (policy.redrivePermission === 'byQueue' && !listed)) {
    throw new SqsError(
      'InvalidParameterValueException',
      `Value ${rp} for parameter RedrivePolicy is invalid. Reason: Queue ${sourceArn} is not allowed to use ` +
        `${p.deadLetterTargetArn} as a dead-letter queue: its RedriveAllowPolicy does not permit it.`,
    );
  }
}
