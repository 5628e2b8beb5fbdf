//! The broker: owns the queues, the clock, the timers and the wake-ups of parked receives.
//! One per data directory per process; every HTTP worker thread calls into the same broker.
//!
//! Lock order (see docs/locking.md): `queues` before any queue's mutex; a thread holding the
//! `queues` write lock never takes a queue mutex; at most one queue mutex is held at a time
//! (a dead-letter move releases the source before locking the target).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::clock::Clock;
use crate::limits::{PURGE_COOLDOWN_MS, QUEUE_RECREATE_COOLDOWN_MS};
use crate::message::State;
use crate::queue::{
    Counts, Delivery, Effects, HandleError, QueueConfig, QueueState, ReceiveError, SendEntry,
    SendError, Sent,
};
use crate::receipt::{self, Receipt};
use crate::timer::Timers;

/// Called when parked receives should try again; the binding turns it into one event per worker.
pub trait Notify: Send + Sync {
    fn wake(&self, workers: u64, queue_id: u64);
}

pub struct Queue {
    pub id: u64,
    /// `account/name`.
    pub key: Arc<str>,
    pub arn: Arc<str>,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub state: QueueState,
    /// Every attribute as the control plane stored it (defaults included), for GetQueueAttributes.
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub created_ms: u64,
    pub modified_ms: u64,
    last_purge_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    DoesNotExist,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// Exists with different attributes.
    AlreadyExists,
    /// Deleted less than 60 s ago.
    DeletedRecently,
    /// The queue count limit.
    TooMany,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeError {
    DoesNotExist,
    InProgress,
}

pub struct CreateQueue<'a> {
    pub account: &'a str,
    pub name: &'a str,
    pub arn: &'a str,
    pub config: QueueConfig,
    /// Effective attributes, defaults included.
    pub attributes: BTreeMap<String, String>,
    /// The attribute names the request gave (an existing queue must match them).
    pub given: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

pub struct QueueInfo {
    pub id: u64,
    pub attributes: BTreeMap<String, String>,
    pub counts: Counts,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub config: QueueConfig,
}

pub struct Received {
    pub deliveries: Vec<Delivery>,
    pub queue_id: u64,
    /// The queue's ReceiveMessageWaitTimeSeconds.
    pub wait_s: u32,
}

pub struct Broker {
    clock: Arc<dyn Clock>,
    receipt_key: u64,
    queues: RwLock<BTreeMap<Arc<str>, Arc<Queue>>>,
    by_id: RwLock<HashMap<u64, Arc<Queue>>>,
    deleted_ms: Mutex<HashMap<Arc<str>, u64>>,
    next_queue_id: AtomicU64,
    notify: RwLock<Option<Arc<dyn Notify>>>,
    timers: Timers,
    workers: Mutex<u64>,
    queue_count_max: usize,
}

pub fn key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

impl Broker {
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>, receipt_key: u64, queue_count_max: usize) -> Arc<Self> {
        Arc::new_cyclic(|weak: &Weak<Broker>| {
            let w = weak.clone();
            Self {
                timers: Timers::start(clock.clone(), move |qid| {
                    if let Some(b) = w.upgrade() {
                        b.on_timer(qid);
                    }
                }),
                clock,
                receipt_key,
                queues: RwLock::new(BTreeMap::new()),
                by_id: RwLock::new(HashMap::new()),
                deleted_ms: Mutex::new(HashMap::new()),
                next_queue_id: AtomicU64::new(1),
                notify: RwLock::new(None),
                workers: Mutex::new(0),
                queue_count_max,
            }
        })
    }

    pub fn set_notify(&self, n: Arc<dyn Notify>) {
        *self.notify.write() = Some(n);
    }

    /// A bit for a worker thread's parked receives; at most 64 workers.
    pub fn register_worker(&self) -> Option<u32> {
        let mut used = self.workers.lock();
        let free = (!*used).trailing_zeros();
        if free >= 64 {
            return None;
        }
        *used |= 1 << free;
        Some(free)
    }

    pub fn release_worker(&self, w: u32) {
        *self.workers.lock() &= !(1u64 << w);
        for q in self.queues.read().values() {
            q.inner.lock().state.unpark(w);
        }
    }

    #[must_use]
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn get(&self, key: &str) -> Result<Arc<Queue>, QueueError> {
        self.queues.read().get(key).cloned().ok_or(QueueError::DoesNotExist)
    }

    fn after(&self, q: &Queue, fx: Effects) {
        if fx.wake_workers != 0 {
            if let Some(n) = &*self.notify.read() {
                n.wake(fx.wake_workers, q.id);
            }
        }
        if let Some(due) = fx.timer_ms {
            self.timers.schedule(due, q.id);
        }
        if !fx.dead_lettered.is_empty() {
            self.dead_letter(q, fx.dead_lettered);
        }
    }

    fn on_timer(&self, qid: u64) {
        let Some(q) = self.by_id.read().get(&qid).cloned() else { return };
        let mut fx = Effects::default();
        let now = self.now_ms();
        {
            let mut inner = q.inner.lock();
            inner.state.tick(now, &mut fx);
            inner.state.wake_if_parked(&mut fx);
        }
        self.after(&q, fx);
    }

    /// Runs every queue's timers now (after a test moved the clock).
    pub fn tick_all(&self) {
        let all: Vec<_> = self.queues.read().values().cloned().collect();
        for q in all {
            self.on_timer(q.id);
        }
    }

    fn dead_letter(&self, source: &Queue, moved: Vec<crate::message::Message>) {
        let target_key = {
            let inner = source.inner.lock();
            inner.state.config.redrive.as_ref().map(|r| r.dead_letter_key.clone())
        };
        let target = target_key.and_then(|k| self.get(&k).ok());
        let target: &Queue = target.as_deref().unwrap_or(source);
        let mut fx = Effects::default();
        {
            let mut inner = target.inner.lock();
            for mut m in moved {
                m.state = State::Ready;
                if !std::ptr::eq(target, source) {
                    m.dead_letter_source_arn = Some(source.arn.clone());
                }
                let seq = inner.state.take_seq();
                inner.state.insert(seq, m, &mut fx);
            }
        }
        if fx.wake_workers != 0 {
            if let Some(n) = &*self.notify.read() {
                n.wake(fx.wake_workers, target.id);
            }
        }
    }

    pub fn create_queue(&self, c: CreateQueue) -> Result<(u64, bool), CreateError> {
        let key: Arc<str> = key(c.account, c.name).into();
        let now = self.now_ms();
        if let Some(q) = self.queues.read().get(&key) {
            let inner = q.inner.lock();
            let same = c.given.iter().all(|k| inner.attributes.get(k) == c.attributes.get(k));
            return if same { Ok((q.id, false)) } else { Err(CreateError::AlreadyExists) };
        }
        if let Some(&t) = self.deleted_ms.lock().get(&key) {
            if now < t + QUEUE_RECREATE_COOLDOWN_MS {
                return Err(CreateError::DeletedRecently);
            }
        }
        let mut queues = self.queues.write();
        if let Some(q) = queues.get(&key) {
            return Ok((q.id, false)); // lost a race with an identical create
        }
        if queues.len() >= self.queue_count_max {
            return Err(CreateError::TooMany);
        }
        let id = self.next_queue_id.fetch_add(1, Ordering::Relaxed);
        let seed = self.receipt_key ^ id.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ now;
        let q = Arc::new(Queue {
            id,
            key: key.clone(),
            arn: c.arn.into(),
            inner: Mutex::new(Inner {
                state: QueueState::new(c.config, seed),
                attributes: c.attributes,
                tags: c.tags,
                created_ms: now,
                modified_ms: now,
                last_purge_ms: None,
            }),
        });
        queues.insert(key.clone(), q.clone());
        self.by_id.write().insert(id, q);
        self.deleted_ms.lock().remove(&key);
        Ok((id, true))
    }

    pub fn delete_queue(&self, key: &str) -> Result<(), QueueError> {
        let q = self.queues.write().remove(key).ok_or(QueueError::DoesNotExist)?;
        self.by_id.write().remove(&q.id);
        self.deleted_ms.lock().insert(q.key.clone(), self.now_ms());
        // Parked receives on it answer empty when their wait ends, or now if woken.
        let parked = {
            let mut inner = q.inner.lock();
            inner.state.take_parked()
        };
        if parked != 0 {
            if let Some(n) = &*self.notify.read() {
                n.wake(parked, q.id);
            }
        }
        Ok(())
    }

    /// Queue names of one account, in name order, starting with `prefix`.
    pub fn list_queues(&self, account: &str, prefix: &str) -> Vec<String> {
        let start = format!("{account}/{prefix}");
        self.queues
            .read()
            .range::<str, _>((std::ops::Bound::Included(start.as_str()), std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&start))
            .map(|(k, _)| k[account.len() + 1..].to_owned())
            .collect()
    }

    pub fn queue_info(&self, key: &str) -> Result<QueueInfo, QueueError> {
        let q = self.get(key)?;
        let mut fx = Effects::default();
        let info = {
            let mut inner = q.inner.lock();
            let counts = inner.state.counts(self.now_ms(), &mut fx);
            QueueInfo {
                id: q.id,
                attributes: inner.attributes.clone(),
                counts,
                created_ms: inner.created_ms,
                modified_ms: inner.modified_ms,
                config: inner.state.config.clone(),
            }
        };
        self.after(&q, fx);
        Ok(info)
    }

    pub fn set_attributes(&self, key: &str, attributes: BTreeMap<String, String>, config: QueueConfig) -> Result<(), QueueError> {
        let q = self.get(key)?;
        let mut inner = q.inner.lock();
        inner.attributes.extend(attributes);
        inner.attributes.retain(|_, v| !v.is_empty());
        inner.state.config = config;
        inner.modified_ms = self.now_ms();
        Ok(())
    }

    pub fn purge(&self, key: &str) -> Result<usize, PurgeError> {
        let q = self.get(key).map_err(|_| PurgeError::DoesNotExist)?;
        let now = self.now_ms();
        let mut inner = q.inner.lock();
        if let Some(t) = inner.last_purge_ms {
            if now < t + PURGE_COOLDOWN_MS {
                return Err(PurgeError::InProgress);
            }
        }
        inner.last_purge_ms = Some(now);
        Ok(inner.state.purge())
    }

    pub fn tags(&self, key: &str) -> Result<BTreeMap<String, String>, QueueError> {
        Ok(self.get(key)?.inner.lock().tags.clone())
    }

    pub fn set_tags(&self, key: &str, add: BTreeMap<String, String>, remove: &[String]) -> Result<(), QueueError> {
        let q = self.get(key)?;
        let mut inner = q.inner.lock();
        inner.tags.extend(add);
        for k in remove {
            inner.tags.remove(k);
        }
        Ok(())
    }

    /// Queues whose RedrivePolicy names `dead_letter_key`.
    pub fn dead_letter_sources(&self, dead_letter_key: &str) -> Vec<String> {
        self.queues
            .read()
            .values()
            .filter(|q| {
                let inner = q.inner.lock();
                inner.state.config.redrive.as_ref().is_some_and(|r| &*r.dead_letter_key == dead_letter_key)
            })
            .map(|q| q.key.to_string())
            .collect()
    }

    pub fn send_batch(&self, key: &str, sender_id: &Arc<str>, entries: &[SendEntry]) -> Result<Vec<Result<Sent, SendError>>, QueueError> {
        let q = self.get(key)?;
        let mut fx = Effects::default();
        let now = self.now_ms();
        let results = {
            let mut inner = q.inner.lock();
            entries.iter().map(|e| inner.state.send(e, sender_id, now, &mut fx)).collect()
        };
        self.after(&q, fx);
        Ok(results)
    }

    pub fn receive(&self, key: &str, max: usize, visibility_s: Option<u32>, attempt_id: Option<&str>, park_worker: Option<u32>) -> Result<Received, ReceiveFailure> {
        let q = self.get(key).map_err(|_| ReceiveFailure::DoesNotExist)?;
        let mut fx = Effects::default();
        let now = self.now_ms();
        let mut deliveries = Vec::with_capacity(max);
        let wait_s = {
            let mut inner = q.inner.lock();
            let dlq_gone = inner.state.config.redrive.as_ref().is_some_and(|r| self.get(&r.dead_letter_key).is_err());
            let saved = if dlq_gone { inner.state.config.redrive.take() } else { None };
            let r = inner.state.receive(max, visibility_s, attempt_id, park_worker, now, &mut fx, &mut deliveries);
            if saved.is_some() {
                inner.state.config.redrive = saved;
            }
            r.map_err(|ReceiveError::OverLimit| ReceiveFailure::OverLimit)?;
            inner.state.config.receive_wait_s
        };
        for d in &mut deliveries {
            d.receipt.queue_id = q.id;
        }
        self.after(&q, fx);
        Ok(Received { deliveries, queue_id: q.id, wait_s })
    }

    /// A parked receive gave up (its wait ended); stop waking its worker for this queue.
    pub fn unpark(&self, queue_id: u64, worker: u32) {
        if let Some(q) = self.by_id.read().get(&queue_id) {
            q.inner.lock().state.unpark(worker);
        }
    }

    #[must_use]
    pub fn receipt_handle(&self, r: Receipt) -> String {
        receipt::encode(self.receipt_key, r)
    }

    fn decode(&self, q: &Queue, handle: &str) -> Result<Receipt, HandleError> {
        match receipt::decode(self.receipt_key, handle) {
            Some(r) if r.queue_id == q.id => Ok(r),
            _ => Err(HandleError::Invalid),
        }
    }

    /// Deletes by receipt handle; `Ok(false)` is a stale handle (success without deleting).
    pub fn delete_batch(&self, key: &str, handles: &[&str]) -> Result<Vec<Result<bool, HandleError>>, QueueError> {
        let q = self.get(key)?;
        let mut fx = Effects::default();
        let now = self.now_ms();
        let results = {
            let mut inner = q.inner.lock();
            handles.iter().map(|h| inner.state.delete(self.decode(&q, h)?, now, &mut fx)).collect()
        };
        self.after(&q, fx);
        Ok(results)
    }

    pub fn change_visibility_batch(&self, key: &str, entries: &[(&str, u32)]) -> Result<Vec<Result<(), HandleError>>, QueueError> {
        let q = self.get(key)?;
        let mut fx = Effects::default();
        let now = self.now_ms();
        let results = {
            let mut inner = q.inner.lock();
            entries.iter().map(|&(h, t)| inner.state.change_visibility(self.decode(&q, h)?, t, now, &mut fx)).collect()
        };
        self.after(&q, fx);
        Ok(results)
    }

    pub fn queue_count(&self) -> usize {
        self.queues.read().len()
    }

    /// Runs `f` on every queue (key, arn, inner) for stats and snapshots; one queue locked at a time.
    pub fn for_each_queue(&self, mut f: impl FnMut(&Queue, &mut Inner)) {
        let all: Vec<_> = self.queues.read().values().cloned().collect();
        for q in all {
            let mut inner = q.inner.lock();
            f(&q, &mut inner);
        }
    }

    pub fn shutdown(&self) {
        self.timers.stop();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveFailure {
    DoesNotExist,
    OverLimit,
}
