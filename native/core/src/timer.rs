//! One thread that wakes queues when a delay ends or a lease expires while a receive is parked
//! on them. Entries are only scheduled for queues with parked receives, so an idle broker's
//! timer thread sleeps; the heap is bounded by [`TIMERS_MAX`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::clock::Clock;

/// Pending wake-ups at most. Each parked receive schedules at most one entry per state change of
/// its queue, and duplicates for the same (time, queue) are dropped, so this is far above need;
/// past it the oldest-due entry fires early (a harmless spurious wake).
const TIMERS_MAX: usize = 1 << 20;

/// Longest sleep between checks, so a clock moved by a test is noticed.
const SLEEP_MS_MAX: u64 = 1_000;

struct Shared {
    heap: Mutex<(BinaryHeap<Reverse<(u64, u64)>>, bool)>,
    cv: Condvar,
}

pub struct Timers {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Timers {
    pub fn start(clock: Arc<dyn Clock>, fire: impl Fn(u64) + Send + 'static) -> Self {
        let shared = Arc::new(Shared { heap: Mutex::new((BinaryHeap::new(), false)), cv: Condvar::new() });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sluice-timers".into())
            .spawn(move || loop {
                let mut due = Vec::new();
                {
                    let mut g = s.heap.lock();
                    if g.1 {
                        return;
                    }
                    let now = clock.now_ms();
                    while let Some(&Reverse((t, q))) = g.0.peek() {
                        if t > now {
                            break;
                        }
                        g.0.pop();
                        if due.last() != Some(&q) {
                            due.push(q);
                        }
                    }
                    if due.is_empty() {
                        let wait = g.0.peek().map_or(SLEEP_MS_MAX, |Reverse((t, _))| (t - now).min(SLEEP_MS_MAX));
                        s.cv.wait_for(&mut g, Duration::from_millis(wait.max(1)));
                        continue;
                    }
                }
                for q in due {
                    fire(q);
                }
            })
            .expect("spawn the timer thread");
        Self { shared, thread: Mutex::new(Some(thread)) }
    }

    pub fn schedule(&self, due_ms: u64, queue_id: u64) {
        let mut g = self.shared.heap.lock();
        if g.0.len() >= TIMERS_MAX {
            g.0.pop();
        }
        let earliest = g.0.peek().is_none_or(|Reverse((t, _))| due_ms < *t);
        g.0.push(Reverse((due_ms, queue_id)));
        drop(g);
        if earliest {
            self.shared.cv.notify_one();
        }
    }

    pub fn stop(&self) {
        self.shared.heap.lock().1 = true;
        self.shared.cv.notify_one();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

impl Drop for Timers {
    fn drop(&mut self) {
        self.stop();
    }
}
