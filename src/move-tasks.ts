// Message move tasks (StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks): moving a
// dead-letter queue's messages back to their source queues, or to a given queue, at a rate.
//
// The core owns the tasks (native/core/src/move_task.rs): one registry per broker, so every HTTP
// worker thread sees the same tasks and "one active task per source queue" holds across them;
// its timer thread steps running tasks, and each step's messages and moved count are one log
// record, so a task survives a restart with its count and resumes. This file only names the
// calls and the opaque handle that carries a task id to CancelMessageMoveTask.
import type { Core } from './native.js';

export type TaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

/** A task as the core reports it. */
export interface MoveTask {
  id: number;
  sourceArn: string;
  destinationArn: string | null;
  /** As given (null: not given, the task runs at the top rate). */
  rate: number | null;
  status: TaskStatus;
  moved: number;
  toMove: number;
  startedMs: number;
  failureReason: string | null;
}

export interface StartInput {
  sourceKey: string;
  sourceArn: string;
  /** Core key of the destination; undefined sends each message back to its DeadLetterQueueSourceArn. */
  destinationKey?: string;
  destinationArn?: string;
  rate?: number;
}

export type StartResult = { id: number } | { error: 'MoveTaskRunning' | 'QueueDoesNotExist' | 'DestinationDoesNotExist' };

export function startTask(core: Core, t: StartInput): StartResult {
  const res = core.admin<{ id: number }>('moveTaskStart', {
    key: t.sourceKey,
    arn: t.sourceArn,
    destination: t.destinationKey ?? '',
    destinationArn: t.destinationArn ?? '',
    ...(t.rate !== undefined ? { rate: t.rate } : {}),
  });
  return res.error ? ({ error: res.error } as StartResult) : { id: res.id };
}

/** Tasks of a source queue, most recent first; null when the queue does not exist. */
export function listTasks(core: Core, sourceKey: string): MoveTask[] | null {
  const res = core.admin<{ tasks: MoveTask[] }>('moveTasks', { key: sourceKey });
  return res.error ? null : res.tasks;
}

/** The moved count of the cancelled task, or the core's error code. */
export function cancelTask(core: Core, sourceKey: string, id: number): { moved: number } | { error: string } {
  const res = core.admin<{ moved: number }>('moveTaskCancel', { key: sourceKey, task: id });
  return res.error ? { error: res.error } : { moved: res.moved };
}

/** An opaque handle naming the task and its source queue (base64 of a small JSON object). */
export function encodeHandle(sourceArn: string, id: number): string {
  return Buffer.from(JSON.stringify({ taskId: String(id), sourceArn })).toString('base64');
}

export function decodeHandle(handle: string): { taskId: string; sourceArn: string } | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return null;
  try {
    const v = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as Record<string, unknown>;
    if (typeof v['taskId'] !== 'string' || typeof v['sourceArn'] !== 'string') return null;
    return { taskId: v['taskId'], sourceArn: v['sourceArn'] };
  } catch {
    return null;
  }
}
