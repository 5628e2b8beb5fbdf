// AddPermission and RemovePermission: they edit the queue's Policy attribute the way AWS does.
// AddPermission appends one statement
//   {"Sid": Label, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::ACCOUNT:root" | [...]},
//    "Action": "SQS:SendMessage" | [...], "Resource": QUEUE_ARN}
// to the document {"Version": "2012-10-17", "Id": "QUEUE_ARN/SQSDefaultPolicy", "Statement": [...]}
// (one principal or action is a plain string, several a list, as AWS stores them); RemovePermission
// drops the statement whose Sid is the label, and the whole Policy with its last statement.
// Both store through the same core verb as SetQueueAttributes.
import { LIMITS } from '../generated/limits.js';
import { SqsError, invalidValue, missingParameter } from '../protocol/errors.js';
import { coreConfig } from '../queue-attributes.js';
import { queueArn, type QueueRef } from '../queue-url.js';
import { optStringList, reqString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

const LABEL = /^[A-Za-z0-9_-]+$/;
const ACCOUNT = /^\d{12}$/;

/** Actions another account may be granted; the rest only the queue owner may call (AWS). */
export const GRANTABLE = new Set([
  '*',
  'ChangeMessageVisibility',
  'DeleteMessage',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'PurgeQueue',
  'ReceiveMessage',
  'SendMessage',
]);

interface Info {
  attributes: Record<string, string>;
}

interface PolicyDoc {
  Version?: string;
  Id?: string;
  Statement: Record<string, unknown>[];
  [k: string]: unknown;
}

function label(input: Input): string {
  const l = reqString(input, 'Label');
  if (l === '') throw missingParameter('Label');
  if (l.length > LIMITS.permission_label_len_max || !LABEL.test(l)) {
    // [G]: AWS documents the rule, not the text.
    throw invalidValue(
      'Label',
      l,
      `Can only include alphanumeric characters, hyphens, or underscores. 1 to ${LIMITS.permission_label_len_max} in length`,
    );
  }
  return l;
}

/** The queue's current policy as a document with a Statement list (a new one if it has none). */
function currentPolicy(info: Info, arn: string): PolicyDoc {
  const text = info.attributes['Policy'];
  if (text) {
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      const st = doc['Statement'];
      const list = Array.isArray(st) ? st : st === undefined ? [] : [st];
      return { ...doc, Statement: list as Record<string, unknown>[] };
    } catch {
      // Policy is validated as JSON when set; fall through to a fresh document.
    }
  }
  return { Version: '2012-10-17', Id: `${arn}/SQSDefaultPolicy`, Statement: [] };
}

function store(ctx: Context, q: QueueRef, info: Info, policy: string): void {
  const merged: Record<string, string> = { ...info.attributes, Policy: policy };
  if (policy === '') delete merged['Policy'];
  must(ctx.core.admin('set', { key: q.key, attributes: { Policy: policy }, config: coreConfig(merged) }));
}

const oneOrMany = (xs: string[]): string | string[] => (xs.length === 1 ? xs[0]! : xs);

export const addPermission: Action = {
  name: 'AddPermission',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const sid = label(input);
    const accounts = optStringList(input, 'AWSAccountIds');
    if (accounts === undefined) throw missingParameter('AWSAccountIds');
    const actions = optStringList(input, 'Actions');
    if (actions === undefined || actions.length === 0) throw missingParameter('Actions');
    if (accounts.length === 0) {
      throw new SqsError('InvalidParameterValueException', 'Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.');
    }
    const badAccount = accounts.find((a) => !ACCOUNT.test(a));
    if (badAccount !== undefined) {
      throw new SqsError(
        'InvalidParameterValueException',
        `Value [${badAccount}] for parameter PrincipalId is invalid. Reason: Unable to verify.`,
      );
    }
    if (actions.length > LIMITS.policy_actions_max) {
      throw new SqsError('OverLimit', `${actions.length} Actions were found, maximum allowed is ${LIMITS.policy_actions_max}.`);
    }
    if (accounts.length > LIMITS.policy_principals_max) {
      throw new SqsError(
        'OverLimit',
        `${accounts.length} Principals were found, maximum allowed is ${LIMITS.policy_principals_max}.`,
      );
    }
    const bad = actions.find((a) => !GRANTABLE.has(a));
    if (bad !== undefined) {
      throw new SqsError(
        'InvalidParameterValueException',
        `Value SQS:${bad} for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.`,
      );
    }
    const info = must(ctx.core.admin<Info>('info', { key: q.key }));
    const arn = queueArn(ctx.config.region, q.account, q.name);
    const doc = currentPolicy(info, arn);
    if (doc.Statement.some((s) => s['Sid'] === sid)) {
      throw invalidValue('Label', sid, 'Already exists.');
    }
    if (doc.Statement.length >= LIMITS.policy_statements_max) {
      throw new SqsError(
        'OverLimit',
        `${doc.Statement.length + 1} statements were found, maximum allowed is ${LIMITS.policy_statements_max}.`,
      );
    }
    doc.Statement.push({
      Sid: sid,
      Effect: 'Allow',
      Principal: { AWS: oneOrMany(accounts.map((a) => `arn:aws:iam::${a}:root`)) },
      Action: oneOrMany(actions.map((a) => `SQS:${a}`)),
      Resource: arn,
    });
    const text = JSON.stringify(doc);
    if (Buffer.byteLength(text) > LIMITS.policy_bytes_max) {
      throw new SqsError('OverLimit', `Policy size exceeds the maximum of ${LIMITS.policy_bytes_max} bytes.`);
    }
    store(ctx, q, info, text);
    return {};
  },
};

export const removePermission: Action = {
  name: 'RemovePermission',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const sid = reqString(input, 'Label');
    if (sid === '') throw missingParameter('Label');
    const info = must(ctx.core.admin<Info>('info', { key: q.key }));
    const doc = currentPolicy(info, queueArn(ctx.config.region, q.account, q.name));
    const kept = doc.Statement.filter((s) => s['Sid'] !== sid);
    if (kept.length === doc.Statement.length) {
      throw invalidValue('Label', sid, "can't find label on existing policy.");
    }
    store(ctx, q, info, kept.length === 0 ? '' : JSON.stringify({ ...doc, Statement: kept }));
    return {};
  },
};
