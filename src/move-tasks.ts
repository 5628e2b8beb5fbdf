// Message move tasks (StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks): moving a
// dead-letter queue's messages back to their source queues, or to a given queue, at a rate.
//
// A task runs on a timer in the JS thread that started it: every TICK_MS it asks the core to move
// the messages the rate allows (the core's `move` verb moves a batch atomically and durably), until
// the source has no visible messages left or the task has moved as many as the source held at the
// start (so messages that cannot leave, e.g. whose source queue is gone, cannot keep it running).
//
// Task state is per process *and per JS thread*: with several HTTP worker threads (src/threads.ts)
// each thread has its own registry, so ListMessageMoveTasks and CancelMessageMoveTask only see
// tasks started through the same thread, and "one active task per source queue" is only enforced
// per thread. Tasks are not journaled: a restart forgets them (messages already moved stay moved).
// Both are known limits; a shared registry would need the core's help.
import type { Core } from './native.js';

export type TaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTask {
  id: string;
  handle: string;
  sourceArn: string;
  sourceKey: string;
  destinationArn?: string;
  /** Core key of the destination; '' sends each message back to its DeadLetterQueueSourceArn. */
  destinationKey: string;
  /** As given (undefined: not given, the task runs at the top rate). */
  rate?: number;
  status: TaskStatus;
  moved: number;
  toMove: number;
  startedMs: number;
  failureReason?: string;
}

interface Running {
  task: MoveTask;
  timer: ReturnType<typeof setInterval>;
  budget: number;
}

export const TICK_MS = 100;
/** Tasks kept per source queue for ListMessageMoveTasks (most recent first). */
const HISTORY = 10;

/** One registry per core (tests run several servers in one process). */
const registries = new WeakMap<Core, Registry>();

export function registry(core: Core): Registry {
  let r = registries.get(core);
  if (!r) registries.set(core, (r = new Registry(core)));
  return r;
}

let sequence = 0;

export class Registry {
  private readonly bySource = new Map<string, MoveTask[]>();
  private readonly running = new Map<string, Running>();

  constructor(private readonly core: Core) {}

  /** The running task of a source queue, if any. */
  active(sourceKey: string): MoveTask | undefined {
    return this.bySource.get(sourceKey)?.find((t) => t.status === 'RUNNING');
  }

  /** Tasks of a source queue, most recent first. */
  list(sourceKey: string): readonly MoveTask[] {
    return this.bySource.get(sourceKey) ?? [];
  }

  find(sourceKey: string, id: string): MoveTask | undefined {
    return this.bySource.get(sourceKey)?.find((t) => t.id === id);
  }

  start(t: Omit<MoveTask, 'id' | 'handle' | 'status' | 'moved' | 'startedMs'>, topRate: number): MoveTask {
    sequence += 1;
    const id = `${Date.now().toString(36)}-${process.pid.toString(36)}-${sequence.toString(36)}`;
    const task: MoveTask = {
      ...t,
      id,
      handle: encodeHandle(t.sourceArn, id),
      status: 'RUNNING',
      moved: 0,
      startedMs: Date.now(),
    };
    const list = this.bySource.get(t.sourceKey) ?? [];
    list.unshift(task);
    if (list.length > HISTORY) list.length = HISTORY;
    this.bySource.set(t.sourceKey, list);
    const rate = t.rate ?? topRate;
    const run: Running = { task, budget: 0, timer: setInterval(() => this.step(run, rate), TICK_MS) };
    // A task must not keep the process alive on its own (shutdown, tests).
    run.timer.unref?.();
    this.running.set(id, run);
    return task;
  }

  cancel(task: MoveTask): void {
    // The core moves each batch atomically, so a cancel between ticks is complete at once.
    task.status = 'CANCELLED';
    this.stop(task.id);
  }

  private stop(id: string): void {
    const run = this.running.get(id);
    if (!run) return;
    clearInterval(run.timer);
    this.running.delete(id);
  }

  private finish(task: MoveTask, status: TaskStatus, reason?: string): void {
    task.status = status;
    if (reason !== undefined) task.failureReason = reason;
    this.stop(task.id);
  }

  private step(run: Running, rate: number): void {
    const { task } = run;
    if (task.status !== 'RUNNING') return this.stop(task.id);
    try {
      // Fractional budgets keep low rates exact (1/s is one message every tenth tick).
      run.budget = Math.min(run.budget + (rate * TICK_MS) / 1000, Math.max(1, (rate * TICK_MS) / 1000));
      const want = Math.min(Math.floor(run.budget), task.toMove - task.moved);
      if (want > 0) {
        const res = this.core.admin<{ moved?: number }>('move', { key: task.sourceKey, name: task.destinationKey, max: want });
        // The move's log record is acknowledged by the core's group commit; nothing waits on it here.
        if (res.error === 'QueueDoesNotExist') return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
        if (res.error === 'DestinationDoesNotExist') return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
        if (res.error) return this.finish(task, 'FAILED', res.error);
        task.moved += res.moved ?? 0;
        run.budget -= res.moved ?? 0;
      }
      if (task.moved >= task.toMove) return this.finish(task, 'COMPLETED');
      const info = this.core.admin<{ visible?: number }>('info', { key: task.sourceKey });
      if (info.error) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
      if ((info.visible ?? 0) === 0) this.finish(task, 'COMPLETED');
    } catch (e) {
      this.finish(task, 'FAILED', e instanceof Error ? e.message : String(e));
    }
  }
}

/** An opaque handle naming the task and its source queue (base64 of a small JSON object). */
export function encodeHandle(sourceArn: string, id: string): string {
  return Buffer.from(JSON.stringify({ taskId: id, sourceArn })).toString('base64');
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
