// StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks: AWS's rules and errors here; the
// tasks themselves live and run in the core (src/move-tasks.ts).
import { LIMITS } from '../generated/limits.js';
import { SqsError, missingParameter } from '../protocol/errors.js';
import { cancelTask, decodeHandle, encodeHandle, listTasks, startTask, type MoveTask } from '../move-tasks.js';
import { parseQueueArn } from '../queue-url.js';
import { optInt, optString, reqString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';

/** Any ARN's shape: arn:partition:service:region:account:resource. */
const ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/;

type ArnParam = 'SourceArn' | 'DestinationArn';

function notFound(param: ArnParam): SqsError {
  return new SqsError('ResourceNotFoundException', `The resource that you specified for the ${param} parameter doesn't exist.`);
}

/** The core key of the queue an ARN parameter names; throws AWS's errors for bad or unknown ARNs. */
function queueKey(ctx: Context, param: ArnParam, arn: string): string {
  if (!ARN.test(arn)) {
    throw new SqsError(
      'InvalidParameterValueException',
      `You must use this format to specify the ${param}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`,
    );
  }
  const ref = parseQueueArn(arn);
  if (!ref) throw notFound(param);
  const key = `${ref.account}/${ref.name}`;
  const info = ctx.core.admin('info', { key });
  if (info === null || info.error === 'QueueDoesNotExist') throw notFound(param);
  return key;
}

function sourceArnOf(input: Input): string {
  const arn = reqString(input, 'SourceArn');
  if (arn === '') throw missingParameter('SourceArn');
  return arn;
}

export const startMessageMoveTask: Action = {
  name: 'StartMessageMoveTask',
  handle(ctx: Context, input: Input) {
    const sourceArn = sourceArnOf(input);
    const destinationArn = optString(input, 'DestinationArn') || undefined;
    const rate = optInt(input, 'MaxNumberOfMessagesPerSecond', 1, LIMITS.move_task_messages_per_s_max);
    const sourceKey = queueKey(ctx, 'SourceArn', sourceArn);
    const destinationKey = destinationArn === undefined ? '' : queueKey(ctx, 'DestinationArn', destinationArn);
    const { keys } = ctx.core.admin<{ keys: string[] }>('deadLetterSources', { key: sourceKey });
    if (keys.length === 0) {
      throw new SqsError('InvalidParameterValueException', 'Source queue must be configured as a Dead Letter Queue.');
    }
    const started = startTask(ctx.core, {
      sourceKey,
      sourceArn,
      ...(destinationArn !== undefined ? { destinationKey, destinationArn } : {}),
      ...(rate !== undefined ? { rate } : {}),
    });
    if ('error' in started) {
      if (started.error === 'MoveTaskRunning') {
        throw new SqsError(
          'InvalidParameterValueException',
          'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
        );
      }
      // The queue was deleted since it was looked up.
      throw notFound(started.error === 'DestinationDoesNotExist' ? 'DestinationArn' : 'SourceArn');
    }
    return { TaskHandle: encodeHandle(sourceArn, started.id) };
  },
};

export const cancelMessageMoveTask: Action = {
  name: 'CancelMessageMoveTask',
  handle(ctx: Context, input: Input) {
    const handle = reqString(input, 'TaskHandle');
    const h = decodeHandle(handle);
    const ref = h ? parseQueueArn(h.sourceArn) : null;
    if (!h || !ref) throw new SqsError('InvalidParameterValueException', 'Value for parameter TaskHandle is invalid.');
    const key = `${ref.account}/${ref.name}`;
    const info = ctx.core.admin('info', { key });
    if (info === null || info.error === 'QueueDoesNotExist') throw notFound('SourceArn');
    // Only a running task can be cancelled; a finished one is no longer there to cancel.
    const id = /^[0-9]{1,15}$/.test(h.taskId) ? Number(h.taskId) : 0;
    const res = id > 0 ? cancelTask(ctx.core, key, id) : { error: 'MoveTaskNotFound' };
    if ('error' in res) {
      if (res.error === 'QueueDoesNotExist') throw notFound('SourceArn');
      throw new SqsError('ResourceNotFoundException', 'Task does not exist.');
    }
    return { ApproximateNumberOfMessagesMoved: res.moved };
  },
};

function entry(t: MoveTask): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (t.status === 'RUNNING') out['TaskHandle'] = encodeHandle(t.sourceArn, t.id);
  out['Status'] = t.status;
  out['SourceArn'] = t.sourceArn;
  if (t.destinationArn !== null) out['DestinationArn'] = t.destinationArn;
  if (t.rate !== null) out['MaxNumberOfMessagesPerSecond'] = t.rate;
  out['ApproximateNumberOfMessagesMoved'] = t.moved;
  out['ApproximateNumberOfMessagesToMove'] = t.toMove;
  if (t.failureReason !== null) out['FailureReason'] = t.failureReason;
  out['StartedTimestamp'] = t.startedMs;
  return out;
}

export const listMessageMoveTasks: Action = {
  name: 'ListMessageMoveTasks',
  handle(ctx: Context, input: Input) {
    const sourceArn = sourceArnOf(input);
    const max = optInt(input, 'MaxResults', 1, LIMITS.list_move_tasks_results_max) ?? 1;
    const key = queueKey(ctx, 'SourceArn', sourceArn);
    const results = (listTasks(ctx.core, key) ?? []).slice(0, max).map(entry);
    return results.length ? { Results: results } : {};
  },
};
