// Parked receives. A receive that finds nothing registers this worker with the core and waits
// here; the core wakes the worker (per queue, not per waiter) when the queue gains a visible
// message, and only that queue's waiters try again, oldest first. A parked request holds one
// timer and no CPU.

export interface Waiter {
  queueId: number;
  /** Tries the receive again; true when it answered (with messages or an error). */
  retry(): boolean;
  /** The wait ended: answer with what there is (empty). */
  expire(): void;
  timer?: NodeJS.Timeout;
  done?: boolean;
}

export class LongPoll {
  private readonly byQueue = new Map<number, Set<Waiter>>();
  private parkedCount = 0;

  constructor(private readonly unpark: (queueId: number) => void) {}

  /** Whether receives on this worker wait on the queue. */
  has(queueId: number): boolean {
    return this.byQueue.has(queueId);
  }

  get parked(): number {
    return this.parkedCount;
  }

  park(w: Waiter, waitMs: number): void {
    let set = this.byQueue.get(w.queueId);
    if (!set) {
      set = new Set();
      this.byQueue.set(w.queueId, set);
    }
    set.add(w);
    this.parkedCount++;
    w.timer = setTimeout(() => {
      if (this.remove(w)) w.expire();
    }, waitMs);
  }

  /** The client went away, or the wait was answered: forget the waiter. */
  remove(w: Waiter): boolean {
    if (w.done) return false;
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    this.parkedCount--;
    const set = this.byQueue.get(w.queueId);
    if (set) {
      set.delete(w);
      if (set.size === 0) {
        this.byQueue.delete(w.queueId);
        this.unpark(w.queueId);
      }
    }
    return true;
  }

  /** The core says the queue may have something: retry its waiters in arrival order. */
  wake(queueId: number): void {
    const set = this.byQueue.get(queueId);
    if (!set) return;
    for (const w of [...set]) {
      if (w.done) continue;
      // A receive that found nothing means the rest would too (and it re-registered this
      // worker with the core): stop, rather than call the core once per parked receive.
      if (!w.retry()) break;
      this.remove(w);
    }
  }

  /** Shutdown: answer every parked receive now. */
  drain(): void {
    for (const set of [...this.byQueue.values()]) {
      for (const w of [...set]) if (this.remove(w)) w.expire();
    }
  }
}
