// Queue attributes: which names exist, which values each accepts, the defaults AWS gives a new
// queue, and the typed config the core acts on.
import { LIMITS } from './generated/limits.js';
import { SqsError } from './protocol/errors.js';
import { parseQueueArn } from './queue-url.js';

export const SETTABLE = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

export const COMPUTED = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

const FIFO_ONLY = new Set(['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

export interface CoreConfig {
  fifo: boolean;
  visibilityTimeoutS: number;
  delayS: number;
  retentionS: number;
  maximumMessageBytes: number;
  receiveWaitS: number;
  contentBasedDedup: boolean;
  dedupPerGroup: boolean;
  redrive: { deadLetterKey: string; maxReceiveCount: number } | null;
}

export function defaults(fifo: boolean): Record<string, string> {
  const d: Record<string, string> = {
    VisibilityTimeout: '30',
    MaximumMessageSize: String(LIMITS.message_bytes_max),
    MessageRetentionPeriod: String(LIMITS.retention_s_default),
    DelaySeconds: '0',
    ReceiveMessageWaitTimeSeconds: '0',
    SqsManagedSseEnabled: 'true',
  };
  if (fifo) {
    d['FifoQueue'] = 'true';
    d['ContentBasedDeduplication'] = 'false';
    d['DeduplicationScope'] = 'queue';
    d['FifoThroughputLimit'] = 'perQueue';
  }
  return d;
}

function invalid(name: string, reason?: string): SqsError {
  return new SqsError(
    'InvalidAttributeValue',
    `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`,
  );
}

function intIn(name: string, v: string, min: number, max: number): void {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw invalid(name);
}

function bool(name: string, v: string): void {
  if (v !== 'true' && v !== 'false') throw invalid(name);
}

/**
 * Validates attributes given to CreateQueue or SetQueueAttributes and returns them normalised.
 * `fifo` is whether the queue is (or will be) FIFO.
 */
export function validateAttributes(
  given: Record<string, string>,
  fifo: boolean,
  creating: boolean,
  region: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!(SETTABLE as readonly string[]).includes(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    // A standard queue knows no FIFO attribute, not even FifoQueue=false (AWS).
    if (FIFO_ONLY.has(name) && !fifo) {
      if (name === 'DeduplicationScope' || name === 'FifoThroughputLimit') {
        throw new SqsError('InvalidAttributeName', `You can specify the ${name} only when FifoQueue is set to true.`);
      }
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    switch (name) {
      case 'DelaySeconds':
        intIn(name, value, 0, LIMITS.delay_s_max);
        break;
      case 'MaximumMessageSize':
        intIn(name, value, LIMITS.maximum_message_size_bytes_min, LIMITS.message_bytes_max);
        break;
      case 'MessageRetentionPeriod':
        intIn(name, value, LIMITS.retention_s_min, LIMITS.retention_s_max);
        break;
      case 'ReceiveMessageWaitTimeSeconds':
        intIn(name, value, 0, LIMITS.wait_time_s_max);
        break;
      case 'VisibilityTimeout':
        intIn(name, value, 0, LIMITS.visibility_timeout_s_max);
        break;
      case 'KmsDataKeyReusePeriodSeconds':
        intIn(name, value, LIMITS.kms_data_key_reuse_period_s_min, LIMITS.kms_data_key_reuse_period_s_max);
        break;
      case 'SqsManagedSseEnabled':
      case 'ContentBasedDeduplication':
        bool(name, value);
        break;
      case 'FifoQueue':
        bool(name, value);
        if (creating) break;
        // On a FIFO queue (a standard one refused it above) AWS accepts the type it has and
        // changes nothing, and refuses a change.
        if (value === 'false') throw invalid(name, 'Modifying queue type is not supported.');
        continue;
      case 'DeduplicationScope':
        if (value !== 'queue' && value !== 'messageGroup') throw invalid(name);
        break;
      case 'FifoThroughputLimit':
        if (value !== 'perQueue' && value !== 'perMessageGroupId') throw invalid(name);
        break;
      case 'Policy':
        if (value !== '') validateJson(name, value);
        break;
      case 'RedrivePolicy':
        if (value !== '') validateRedrive(value, fifo, region);
        break;
      case 'RedriveAllowPolicy':
        if (value !== '') validateRedriveAllow(value);
        break;
      default:
        break;
    }
    out[name] = value;
  }
  const sse = out['SqsManagedSseEnabled'];
  if (out['KmsMasterKeyId'] && sse === 'true') {
    throw new SqsError(
      'InvalidAttributeName',
      'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
    );
  }
  const scope = out['DeduplicationScope'];
  const limit = out['FifoThroughputLimit'];
  if (scope === 'messageGroup' && limit === 'perQueue') {
    throw new SqsError(
      'InvalidAttributeValue',
      'Invalid value for the parameter FifoThroughputLimit. Reason: perQueue is not supported when DeduplicationScope is messageGroup.',
    );
  }
  return out;
}

function validateJson(name: string, value: string): Record<string, unknown> {
  try {
    const v = JSON.parse(value) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw invalid(name, 'Not a valid JSON document.');
  }
}

/** RedrivePolicy errors are InvalidParameterValue, not InvalidAttributeValue, on AWS. */
function badRedrive(value: string, reason: string): SqsError {
  return new SqsError('InvalidParameterValueException', `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
}

function validateRedrive(value: string, fifo: boolean, region: string): void {
  let p: Record<string, unknown>;
  try {
    p = validateJson('RedrivePolicy', value);
  } catch {
    throw badRedrive(value, 'Redrive policy is not a valid JSON map.');
  }
  for (const key of ['deadLetterTargetArn', 'maxReceiveCount']) {
    if (p[key] === undefined) throw badRedrive(value, `The required parameter '${key}' is missing`);
  }
  const arn = p['deadLetterTargetArn'];
  const count = p['maxReceiveCount'];
  if (typeof arn !== 'string' || parseQueueArn(arn) === null) {
    throw badRedrive(value, 'Invalid value for deadLetterTargetArn.');
  }
  const n = typeof count === 'string' && /^\d+$/.test(count) ? Number(count) : count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < LIMITS.max_receive_count_min || n > LIMITS.max_receive_count_max) {
    throw badRedrive(
      value,
      `Invalid value for maxReceiveCount: ${String(count)}, valid values are from ${LIMITS.max_receive_count_min} to ${LIMITS.max_receive_count_max} both inclusive.`,
    );
  }
  const target = parseQueueArn(arn)!;
  if (target.name.endsWith('.fifo') !== fifo) {
    throw badRedrive(value, 'Dead-letter queue must be the same type of queue as the source.');
  }
  void region;
}

function validateRedriveAllow(value: string): void {
  const bad = (reason: string) =>
    new SqsError('InvalidParameterValueException', `Value ${value} for parameter RedriveAllowPolicy is invalid. Reason: ${reason}`);
  let p: Record<string, unknown>;
  try {
    p = validateJson('RedriveAllowPolicy', value);
  } catch {
    throw bad('Redrive allow policy is not a valid JSON map.');
  }
  const perm = p['redrivePermission'];
  if (perm !== 'allowAll' && perm !== 'denyAll' && perm !== 'byQueue') {
    throw bad('redrivePermission must be allowAll, denyAll or byQueue.');
  }
  const arns = p['sourceQueueArns'];
  if (perm === 'byQueue') {
    if (!Array.isArray(arns) || arns.length === 0 || arns.length > LIMITS.redrive_source_arns_max) {
      throw bad(`sourceQueueArns must list 1 to ${LIMITS.redrive_source_arns_max} queue ARNs with byQueue.`);
    }
  } else if (arns !== undefined) {
    throw bad('sourceQueueArns is only allowed with byQueue.');
  }
}

/** The typed config the core acts on, from a queue's full attribute map. */
export function coreConfig(attrs: Record<string, string>): CoreConfig {
  const num = (k: string) => Number(attrs[k] ?? '0');
  let redrive: CoreConfig['redrive'] = null;
  const rp = attrs['RedrivePolicy'];
  if (rp) {
    const p = JSON.parse(rp) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    const t = parseQueueArn(p.deadLetterTargetArn)!;
    redrive = { deadLetterKey: `${t.account}/${t.name}`, maxReceiveCount: Number(p.maxReceiveCount) };
  }
  return {
    fifo: attrs['FifoQueue'] === 'true',
    visibilityTimeoutS: num('VisibilityTimeout'),
    delayS: num('DelaySeconds'),
    retentionS: num('MessageRetentionPeriod'),
    maximumMessageBytes: num('MaximumMessageSize'),
    receiveWaitS: num('ReceiveMessageWaitTimeSeconds'),
    contentBasedDedup: attrs['ContentBasedDeduplication'] === 'true',
    dedupPerGroup: attrs['DeduplicationScope'] === 'messageGroup',
    redrive,
  };
}
