//! The broker: owns the queues, the clock, the timers and the wake-ups of parked receives.
//! One per data directory per process; every HTTP worker thread calls into the same broker.
//!
//! Lock order (see docs/locking.md): `gate`, then `move_tasks`, then `queues` before any
//! queue's mutex; a thread holding the `queues` write lock never takes a queue mutex; at most
//! one queue mutex is held at a time (a dead-letter move releases the source before locking the
//! target).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use sluice_wal::{Replay, SyncMode, Wal, WalError, WalOptions};

use crate::clock::Clock;
use crate::journal::{self, Enc};
use crate::recovery::Image;
use crate::spill::SpillStore;
use crate::limits::{PURGE_COOLDOWN_MS, QUEUE_RECREATE_COOLDOWN_MS};
use crate::message::{Message, State};
use crate::move_task::{self, MoveTask, MoveTasks, Status, MOVE_TASK_STEP_MS};
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
    /// The log refused the change (I/O error, disk full): nothing was acknowledged.
    Storage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// Exists with different attributes.
    AlreadyExists,
    /// Deleted less than 60 s ago.
    DeletedRecently,
    /// The queue count limit.
    TooMany,
    Storage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeError {
    DoesNotExist,
    InProgress,
    Storage,
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
    /// The Lsn the answer must wait for: the leases' record (0 when nothing was leased, or
    /// in memory mode).
    pub lsn: u64,
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
    wal: Option<Arc<Wal>>,
    /// Mutating calls hold it shared across their queue change and its log append; a
    /// checkpoint holds it exclusively, so its snapshot matches the log boundary exactly.
    gate: RwLock<()>,
    snapshot_bytes: AtomicU64,
    spill: RwLock<Option<Arc<SpillStore>>>,
    /// Message move tasks, shared by every worker thread (`move_task.rs`).
    move_tasks: Mutex<MoveTasks>,
    /// Whether the timer thread steps running move tasks (`drive_move_tasks`).
    move_driver: AtomicBool,
}

/// The timer entry that steps move tasks; queue ids count up from 1 and never reach it.
const MOVE_TASKS_TIMER: u64 = u64::MAX;

/// AWS's FailureReason for a task whose source or destination queue is gone.
const NONEXISTENT_QUEUE: &str = "AWS.SimpleQueueService.NonExistentQueue";

/// What StartMessageMoveTask asks of the core; the control plane has checked the policy
/// (the source is a dead-letter queue, the rate is in range).
pub struct StartMove<'a> {
    pub source_key: &'a str,
    pub source_arn: &'a str,
    /// `None`: each message back to the queue its DeadLetterQueueSourceArn names.
    pub destination_key: Option<&'a str>,
    pub destination_arn: Option<&'a str>,
    pub rate: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveTaskError {
    SourceMissing,
    DestinationMissing,
    /// The source queue already has a running task.
    Running,
    /// No running task with that id on that source queue.
    NotFound,
    Storage,
}

/// Seeds a queue's message-id generator from the OS's randomness (std's hasher keys), so ids
/// stay unique across restarts even when the clock has not moved (tests' manual clocks).
fn id_seed(queue_id: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(queue_id);
    h.finish()
}

pub fn key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

/// What a checkpoint copies while appends are stopped.
struct StateCopy {
    next_queue_id: u64,
    queues: Vec<QueueCopy>,
    /// Broker-wide records after the queues (move tasks, recent deletions), encoded.
    tail: Vec<u8>,
}

struct QueueCopy {
    id: u64,
    /// QUEUE_CREATE and SEQUENCE records, encoded.
    head: Vec<u8>,
    messages: Vec<(u64, crate::message::Message)>,
    /// DEDUP records, encoded.
    dedup: Vec<u8>,
}

/// A checkpoint writes its snapshot in parts of about this size. 1 MiB: large enough that the
/// per-part cost (a 4-byte length, two writes) vanishes, small enough to bound the memory a
/// checkpoint and a recovery hold besides the state itself.
const SNAPSHOT_PART_BYTES: usize = 1024 * 1024;
const _: () = assert!((SNAPSHOT_PART_BYTES as u64) * 4 <= sluice_wal::SNAPSHOT_PART_BYTES_MAX);

/// Hands the encoded state records to the snapshot once they fill a part (or at the end).
fn snapshot_part(e: &mut Enc, w: &mut sluice_wal::SnapshotWriter, done: bool) -> Result<(), WalError> {
    if (done && !e.buf.is_empty()) || e.buf.len() >= SNAPSHOT_PART_BYTES {
        w.write_part(&e.buf)?;
        e.buf.clear();
    }
    Ok(())
}

impl Broker {
    /// An in-memory broker with no log.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>, receipt_key: u64, queue_count_max: usize) -> Arc<Self> {
        Self::build(clock, receipt_key, queue_count_max, None)
    }

    /// Opens the broker on `dir`, replaying its log. `seed` keys receipt handles when the log
    /// has none yet.
    /// `payload_memory_max`: bytes of message bodies and attributes kept in memory; past it,
    /// payloads go to the spill file (see `spill.rs`).
    pub fn open(
        dir: &Path,
        durability: Durability,
        clock: Arc<dyn Clock>,
        seed: u64,
        queue_count_max: usize,
        payload_memory_max: u64,
    ) -> Result<(Arc<Self>, RecoveryReport), OpenError> {
        if durability == Durability::Memory {
            return Ok((Self::new(clock, seed, queue_count_max), RecoveryReport::default()));
        }
        let started = std::time::Instant::now();
        let mode = match durability {
            Durability::Fsync => SyncMode::Fsync,
            Durability::Relaxed(ms) => SyncMode::Relaxed { interval_ms: ms },
            Durability::Memory => SyncMode::Memory,
        };
        // Opened before the replay (it starts empty), so bodies past the budget are spilled as
        // they are read rather than all held until the image is complete.
        let spill = Arc::new(SpillStore::open(dir, payload_memory_max).map_err(|e| OpenError::Wal(WalError::Io(e)))?);
        let mut image = Image::with_spill(spill.clone());
        let mut bad: Option<String> = None;
        // Zero-filled segments: each fsync flushes data only (sluice-wal `spare`).
        let opts = WalOptions { preallocate: true, ..WalOptions::new(mode) };
        let (wal, info) = Wal::open_replay(dir, opts, |item| {
            let payload = match item {
                Replay::Snapshot { payload, .. } => payload,
                Replay::Record { payload, .. } => {
                    // Log records only: a snapshot arrives in many parts.
                    image.records += 1;
                    payload
                }
            };
            if bad.is_none() {
                if let Err(e) = image.apply(payload) {
                    bad = Some(e.0.to_owned());
                }
            }
        })
        .map_err(OpenError::Wal)?;
        if let Some(e) = bad {
            return Err(OpenError::Journal(e));
        }
        let fresh = image.receipt_key.is_none();
        let receipt_key = image.receipt_key.unwrap_or(seed);
        let wal = Arc::new(wal);
        spill.discard_stale().map_err(|e| OpenError::Wal(WalError::Io(e)))?;
        let b = Self::build(clock, receipt_key, queue_count_max, Some(wal.clone()));
        *b.spill.write() = Some(spill);
        image.release_payloads();
        b.next_queue_id.store(image.next_queue_id.max(1), Ordering::Relaxed);
        let mut report = RecoveryReport { records: image.records, ..RecoveryReport::default() };
        b.restore(image, &mut report);
        b.move_tasks.lock().reset_pace(b.now_ms());
        if fresh {
            let mut e = Enc::tag(journal::META);
            e.u64(receipt_key).u64(1);
            let lsn = wal.append(&e.buf).map_err(OpenError::Wal)?;
            wal.wait_durable(lsn).map_err(OpenError::Wal)?;
        }
        report.truncated_tail = info.truncated_tail.map(|(f, o)| format!("{}@{o}", f.display()));
        report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok((b, report))
    }

    fn restore(&self, image: Image, report: &mut RecoveryReport) {
        let now = self.now_ms();
        let mut queues = self.queues.write();
        let mut by_id = self.by_id.write();
        for (_, qi) in image.queues {
            let seed = id_seed(qi.id);
            let mut state = QueueState::new(qi.id, qi.config, seed);
            state.set_spill(self.spill.read().clone());
            let mut fx = Effects::default();
            report.messages += qi.messages.len();
            for (seq, m) in qi.messages {
                state.insert(seq, m, &mut fx);
            }
            state.restore_sequence_state(qi.next_seq, qi.next_sequence_number);
            for (k, o, expires) in qi.dedup {
                if expires > now {
                    state.dedup().restore(&k, o, expires);
                }
            }
            let q = Arc::new(Queue {
                id: qi.id,
                key: qi.key.clone(),
                arn: qi.arn,
                inner: Mutex::new(Inner {
                    state,
                    attributes: qi.attributes,
                    tags: qi.tags,
                    created_ms: qi.created_ms,
                    modified_ms: qi.modified_ms,
                    last_purge_ms: qi.last_purge_ms,
                }),
            });
            queues.insert(qi.key, q.clone());
            by_id.insert(qi.id, q);
        }
        report.queues = queues.len();
        let mut deleted = image.deleted_ms;
        deleted.retain(|_, t| now < *t + QUEUE_RECREATE_COOLDOWN_MS);
        *self.deleted_ms.lock() = deleted;
        *self.move_tasks.lock() = image.move_tasks;
    }

    fn build(clock: Arc<dyn Clock>, receipt_key: u64, queue_count_max: usize, wal: Option<Arc<Wal>>) -> Arc<Self> {
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
                wal,
                gate: RwLock::new(()),
                snapshot_bytes: AtomicU64::new(0),
                spill: RwLock::new(None),
                move_tasks: Mutex::new(MoveTasks::default()),
                move_driver: AtomicBool::new(false),
            }
        })
    }

    fn effects(&self) -> Effects {
        Effects::journaled(self.wal.is_some())
    }

    /// Appends the change's journal records; call while holding the queue's lock so the log
    /// order is the state order. Returns the Lsn the answer must wait for (0: none).
    fn commit(&self, fx: &mut Effects) -> Result<u64, QueueError> {
        let (Some(wal), Some(j)) = (&self.wal, &mut fx.journal) else { return Ok(0) };
        if j.buf.is_empty() {
            return Ok(0);
        }
        let lsn = wal.append(&j.buf).map_err(|_| QueueError::Storage)?;
        j.buf.clear();
        Ok(lsn)
    }

    /// Appends a record built outside any queue (queue definitions).
    fn commit_record(&self, e: &Enc) -> Result<u64, QueueError> {
        match &self.wal {
            None => Ok(0),
            Some(wal) => wal.append(&e.buf).map_err(|_| QueueError::Storage),
        }
    }

    /// Calls `f` from the log's writer thread after each group commit with the durable Lsn.
    pub fn on_durable(&self, f: Box<dyn Fn(u64) + Send + Sync>) {
        if let Some(wal) = &self.wal {
            wal.set_on_durable(f);
        }
    }

    /// (bytes of payload in memory, messages spilled to disk), when spilling is on.
    #[must_use]
    pub fn spill_stats(&self) -> Option<(u64, u64)> {
        self.spill.read().as_ref().map(|s| (s.resident_bytes(), s.spilled_messages()))
    }

    /// Whether the log has failed (an I/O error, or a full disk): appends are refused.
    #[must_use]
    pub fn storage_failed(&self) -> bool {
        self.wal.as_ref().is_some_and(|w| w.stats().failed)
    }

    /// After a full disk, tries the failed write again (the operator may have freed space);
    /// true when the log accepts appends again. Other I/O failures stay final.
    pub fn retry_storage(&self) -> bool {
        self.wal.as_ref().is_none_or(|w| w.retry_after_error().is_ok())
    }

    #[must_use]
    pub fn durable_lsn(&self) -> u64 {
        self.wal.as_ref().map_or(0, |w| w.durable_lsn())
    }

    #[must_use]
    pub fn wal_stats(&self) -> Option<sluice_wal::WalStats> {
        self.wal.as_ref().map(|w| w.stats())
    }

    /// Writes a snapshot of the whole state and lets the log drop the segments it covers.
    pub fn checkpoint(&self) -> Result<u64, WalError> {
        let Some(wal) = &self.wal else { return Ok(0) };
        // Appends stop only while the state is copied (cheap: payloads are shared, not copied);
        // it is encoded and written after they resume. Spilled bodies stay readable meanwhile.
        let spill = self.spill.read().clone();
        let (token, copy) = {
            let _g = self.gate.write();
            let token = wal.begin_checkpoint()?;
            if let Some(s) = &spill {
                s.pin();
            }
            (token, self.state_copy())
        };
        let written = self.write_snapshot(wal, token, &copy);
        drop(copy);
        if let Some(s) = &spill {
            s.unpin();
        }
        let w = written?;
        let bytes = w.payload_bytes();
        wal.finish_snapshot(w)?;
        self.snapshot_bytes.store(bytes, Ordering::Relaxed);
        Ok(bytes)
    }

    /// The broker's state as a checkpoint's boundary sees it; call with the gate held.
    fn state_copy(&self) -> StateCopy {
        let all: Vec<_> = self.queues.read().values().cloned().collect();
        let mut queues = Vec::with_capacity(all.len());
        for q in all {
            let inner = q.inner.lock();
            // Queue-level records are encoded now: they are small.
            let mut head = Enc::default();
            head.u8(journal::QUEUE_CREATE).u64(q.id).blob(q.key.as_bytes()).blob(q.arn.as_bytes());
            head.config(&inner.state.config).map(&inner.attributes).map(&inner.tags);
            head.u64(inner.created_ms).u64(inner.modified_ms);
            let (next_seq, next_sn) = inner.state.sequence_state();
            head.u8(journal::SEQUENCE).u64(q.id).u64(next_seq).u64(next_sn);
            if let Some(t) = inner.last_purge_ms {
                head.u8(journal::PURGE_TIME).u64(q.id).u64(t);
            }
            let mut messages = Vec::with_capacity(inner.state.len());
            messages.extend(inner.state.messages().map(|(seq, m)| (*seq, m.clone())));
            let mut dedup = Enc::default();
            for (k, o, expires) in inner.state.dedup_entries() {
                dedup.u8(journal::DEDUP).u64(q.id).blob(k.as_bytes()).raw(&o.message_id).u64(o.sequence_number).u64(expires);
            }
            queues.push(QueueCopy { id: q.id, head: head.buf, messages, dedup: dedup.buf });
        }
        let mut tail = Enc::default();
        self.move_tasks.lock().encode(&mut tail);
        let now = self.now_ms();
        for (k, &t) in self.deleted_ms.lock().iter() {
            if now < t + QUEUE_RECREATE_COOLDOWN_MS {
                tail.u8(journal::QUEUE_DELETED_AT).blob(k.as_bytes()).u64(t);
            }
        }
        StateCopy { next_queue_id: self.next_queue_id.load(Ordering::Relaxed), queues, tail: tail.buf }
    }

    /// Encodes `copy` into the snapshot for `token`, part by part.
    fn write_snapshot(&self, wal: &Wal, token: sluice_wal::CheckpointToken, copy: &StateCopy) -> Result<sluice_wal::SnapshotWriter, WalError> {
        let mut w = wal.snapshot_writer(token)?;
        let mut e = Enc::default();
        e.u8(journal::META).u64(self.receipt_key).u64(copy.next_queue_id);
        for q in &copy.queues {
            e.raw(&q.head);
            for (seq, m) in &q.messages {
                e.u8(journal::MESSAGE).message(q.id, *seq, m, None);
                snapshot_part(&mut e, &mut w, false)?;
            }
            e.raw(&q.dedup);
            snapshot_part(&mut e, &mut w, false)?;
        }
        e.raw(&copy.tail);
        snapshot_part(&mut e, &mut w, true)?;
        Ok(w)
    }

    /// Checkpoints when the log has grown well past the last snapshot (disk use stays
    /// proportional to live data). Returns whether it did.
    pub fn maybe_checkpoint(&self, log_bytes_min: u64) -> Result<bool, WalError> {
        let Some(stats) = self.wal_stats() else { return Ok(false) };
        let snap = self.snapshot_bytes.load(Ordering::Relaxed);
        if stats.disk_bytes > log_bytes_min.max(snap.saturating_mul(2)) {
            self.checkpoint()?;
            return Ok(true);
        }
        Ok(false)
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
        // Collect first: no queue mutex is taken while `queues` is held (docs/locking.md).
        let all: Vec<_> = self.queues.read().values().cloned().collect();
        for q in all {
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

    /// Tells the workers in `workers` that queue `queue_id` has something for their parked receives.
    fn wake(&self, workers: u64, queue_id: u64) {
        if workers != 0 {
            if let Some(n) = &*self.notify.read() {
                n.wake(workers, queue_id);
            }
        }
    }

    fn after(&self, q: &Queue, fx: Effects) {
        self.wake(fx.wake_workers, q.id);
        if let Some(due) = fx.timer_ms {
            self.timers.schedule(due, q.id);
        }
        if !fx.dead_lettered.is_empty() {
            self.dead_letter(q, fx.dead_lettered);
        }
    }

    fn on_timer(&self, qid: u64) {
        if qid == MOVE_TASKS_TIMER {
            return self.on_move_timer();
        }
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

    fn dead_letter(&self, source: &Queue, moved: Vec<(u64, crate::message::Message)>) {
        let target_key = {
            let inner = source.inner.lock();
            inner.state.config.redrive.as_ref().map(|r| r.dead_letter_key.clone())
        };
        let target = target_key.and_then(|k| self.get(&k).ok());
        let target: &Queue = target.as_deref().unwrap_or(source);
        let mut fx = self.effects();
        {
            let _g = self.gate.read();
            let mut inner = target.inner.lock();
            for (old_seq, mut m) in moved {
                m.state = State::Ready;
                if !std::ptr::eq(target, source) {
                    m.set_dead_letter_source_arn(Some(source.arn.clone()));
                }
                let seq = inner.state.take_seq();
                // One record: the copy and the removal land together or not at all.
                if let Some(j) = &mut fx.journal {
                    j.u8(journal::MESSAGE).message(target.id, seq, &m, None);
                    j.u8(journal::DELETE).u64(source.id).u64(old_seq);
                }
                inner.state.insert(seq, m, &mut fx);
            }
            // A failed append leaves the move in memory only; the message stays at least once.
            let _ = self.commit(&mut fx);
        }
        self.wake(fx.wake_workers, target.id);
    }

    /// Returns (queue id, created, Lsn to wait for).
    pub fn create_queue(&self, c: CreateQueue) -> Result<(u64, bool, u64), CreateError> {
        let key: Arc<str> = key(c.account, c.name).into();
        let now = self.now_ms();
        let existing = self.queues.read().get(&key).cloned();
        if let Some(q) = existing {
            let inner = q.inner.lock();
            let same = c.given.iter().all(|k| inner.attributes.get(k) == c.attributes.get(k));
            return if same { Ok((q.id, false, 0)) } else { Err(CreateError::AlreadyExists) };
        }
        if let Some(&t) = self.deleted_ms.lock().get(&key) {
            if now < t + QUEUE_RECREATE_COOLDOWN_MS {
                return Err(CreateError::DeletedRecently);
            }
        }
        let _g = self.gate.read();
        let mut queues = self.queues.write();
        if let Some(q) = queues.get(&key) {
            return Ok((q.id, false, 0)); // lost a race with an identical create
        }
        if queues.len() >= self.queue_count_max {
            return Err(CreateError::TooMany);
        }
        let id = self.next_queue_id.fetch_add(1, Ordering::Relaxed);
        let seed = id_seed(id);
        let mut e = Enc::tag(journal::QUEUE_CREATE);
        e.u64(id).blob(key.as_bytes()).blob(c.arn.as_bytes()).config(&c.config).map(&c.attributes).map(&c.tags).u64(now).u64(now);
        let lsn = self.commit_record(&e).map_err(|_| CreateError::Storage)?;
        let q = Arc::new(Queue {
            id,
            key: key.clone(),
            arn: c.arn.into(),
            inner: Mutex::new(Inner {
                state: {
                    let mut s = QueueState::new(id, c.config, seed);
                    s.set_spill(self.spill.read().clone());
                    s
                },
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
        Ok((id, true, lsn))
    }

    /// Returns the Lsn to wait for.
    pub fn delete_queue(&self, key: &str) -> Result<u64, QueueError> {
        let _g = self.gate.read();
        // Held across the deletion, so no task starts on the queue between its record and the
        // drop of its tasks (replay drops them at the same point).
        let mut tasks = self.move_tasks.lock();
        let mut queues = self.queues.write();
        let id = queues.get(key).ok_or(QueueError::DoesNotExist)?.id;
        let now = self.now_ms();
        // One record: the deletion and its time, for the re-create cooldown after a restart.
        let mut e = Enc::tag(journal::QUEUE_DELETE);
        e.u64(id).u8(journal::QUEUE_DELETED_AT).blob(key.as_bytes()).u64(now);
        let lsn = self.commit_record(&e)?;
        let q = queues.remove(key).expect("looked up under the same lock");
        drop(queues);
        tasks.drop_source(id);
        drop(tasks);
        self.by_id.write().remove(&q.id);
        {
            // Bounded by the queues deleted within one cooldown.
            let mut deleted = self.deleted_ms.lock();
            deleted.retain(|_, t| now < *t + QUEUE_RECREATE_COOLDOWN_MS);
            deleted.insert(q.key.clone(), now);
        }
        // Parked receives on it answer empty when their wait ends, or now if woken.
        let parked = {
            let mut inner = q.inner.lock();
            inner.state.take_parked()
        };
        self.wake(parked, q.id);
        Ok(lsn)
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

    pub fn set_attributes(&self, key: &str, attributes: BTreeMap<String, String>, config: QueueConfig) -> Result<u64, QueueError> {
        let q = self.get(key)?;
        let _g = self.gate.read();
        let mut inner = q.inner.lock();
        inner.attributes.extend(attributes);
        inner.attributes.retain(|_, v| !v.is_empty());
        inner.state.config = config;
        inner.modified_ms = self.now_ms();
        let mut e = Enc::tag(journal::QUEUE_SET);
        e.u64(q.id).map(&inner.attributes).config(&inner.state.config).u64(inner.modified_ms);
        self.commit_record(&e)
    }

    /// Returns (messages purged, Lsn to wait for).
    pub fn purge(&self, key: &str) -> Result<(usize, u64), PurgeError> {
        let q = self.get(key).map_err(|_| PurgeError::DoesNotExist)?;
        let now = self.now_ms();
        let _g = self.gate.read();
        let mut inner = q.inner.lock();
        if let Some(t) = inner.last_purge_ms {
            if now < t + PURGE_COOLDOWN_MS {
                return Err(PurgeError::InProgress);
            }
        }
        inner.last_purge_ms = Some(now);
        let mut fx = self.effects();
        let n = inner.state.purge(&mut fx);
        if let Some(j) = &mut fx.journal {
            j.u8(journal::PURGE_TIME).u64(q.id).u64(now);
        }
        let lsn = self.commit(&mut fx).map_err(|_| PurgeError::Storage)?;
        Ok((n, lsn))
    }

    pub fn tags(&self, key: &str) -> Result<BTreeMap<String, String>, QueueError> {
        Ok(self.get(key)?.inner.lock().tags.clone())
    }

    pub fn set_tags(&self, key: &str, add: BTreeMap<String, String>, remove: &[String]) -> Result<u64, QueueError> {
        let q = self.get(key)?;
        let _g = self.gate.read();
        let mut inner = q.inner.lock();
        inner.tags.extend(add);
        for k in remove {
            inner.tags.remove(k);
        }
        let mut e = Enc::tag(journal::QUEUE_TAGS);
        e.u64(q.id).map(&inner.tags);
        self.commit_record(&e)
    }

    /// Queues whose RedrivePolicy names `dead_letter_key`.
    pub fn dead_letter_sources(&self, dead_letter_key: &str) -> Vec<String> {
        let all: Vec<_> = self.queues.read().values().cloned().collect();
        all.iter()
            .filter(|q| {
                let inner = q.inner.lock();
                inner.state.config.redrive.as_ref().is_some_and(|r| &*r.dead_letter_key == dead_letter_key)
            })
            .map(|q| q.key.to_string())
            .collect()
    }

    /// Returns the per-entry results and the Lsn the acknowledgement waits for.
    pub fn send_batch(&self, key: &str, sender_id: &Arc<str>, entries: &[SendEntry]) -> Result<(Vec<Result<Sent, SendError>>, u64), QueueError> {
        let q = self.get(key)?;
        let mut fx = self.effects();
        let now = self.now_ms();
        let (results, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            let results = entries.iter().map(|e| inner.state.send(e, sender_id, now, &mut fx)).collect();
            (results, self.commit(&mut fx))
        };
        self.after(&q, fx);
        Ok((results, lsn?))
    }

    /// As `send_batch`, all or nothing: `None`, with nothing stored, when the queue would refuse
    /// any entry. The JSON fast path uses it so that a request it declines has changed nothing
    /// and can be answered in full by the general path.
    pub fn send_batch_whole(&self, key: &str, sender_id: &Arc<str>, entries: &[SendEntry]) -> Result<Option<(Vec<Sent>, u64)>, QueueError> {
        let q = self.get(key)?;
        let mut fx = self.effects();
        let now = self.now_ms();
        let (sent, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            if entries.iter().any(|e| inner.state.send_refusal(e).is_some()) {
                return Ok(None);
            }
            let sent: Vec<Sent> = entries
                .iter()
                .map(|e| inner.state.send(e, sender_id, now, &mut fx).expect("send_refusal checked every entry"))
                .collect();
            (sent, self.commit(&mut fx))
        };
        self.after(&q, fx);
        Ok(Some((sent, lsn?)))
    }

    /// Leases up to `max` messages. The leases' journal record must be durable before the
    /// answer is sent (`Received::lsn`): a lease lost in a crash would make the message visible
    /// again while its consumer still holds it, and that consumer's delete would then be
    /// taken for a stale handle's and delete nothing. While the log refuses appends nothing is
    /// leased (`Storage`); an append that fails after leasing leaves the leases to expire.
    pub fn receive(&self, key: &str, max: usize, visibility_s: Option<u32>, attempt_id: Option<&str>, park_worker: Option<u32>) -> Result<Received, ReceiveFailure> {
        let q = self.get(key).map_err(|_| ReceiveFailure::DoesNotExist)?;
        if self.storage_failed() {
            return Err(ReceiveFailure::Storage);
        }
        let mut fx = self.effects();
        let now = self.now_ms();
        let mut deliveries = Vec::with_capacity(max);
        let (wait_s, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            let dlq_gone = inner.state.config.redrive.as_ref().is_some_and(|r| self.get(&r.dead_letter_key).is_err());
            let saved = if dlq_gone { inner.state.config.redrive.take() } else { None };
            let r = inner.state.receive(max, visibility_s, attempt_id, park_worker, now, &mut fx, &mut deliveries);
            if saved.is_some() {
                inner.state.config.redrive = saved;
            }
            r.map_err(|ReceiveError::OverLimit| ReceiveFailure::OverLimit)?;
            let mut lsn = self.commit(&mut fx);
            // A retried ReceiveRequestAttemptId hands out leases recorded by an earlier call
            // whose record may still be on its way to disk: wait for everything appended.
            if matches!(lsn, Ok(0)) && !deliveries.is_empty() {
                lsn = self.wal.as_ref().map_or(Ok(0), |w| w.append_batch(&[]).map_err(|_| QueueError::Storage));
            }
            (inner.state.config.receive_wait_s, lsn)
        };
        for d in &mut deliveries {
            d.receipt.queue_id = q.id;
        }
        self.after(&q, fx);
        let lsn = lsn.map_err(|_| ReceiveFailure::Storage)?;
        Ok(Received { deliveries, queue_id: q.id, wait_s, lsn })
    }

    /// Up to `max` messages without leasing or counting a receive (developer peek, shaped
    /// like LocalStack's `/_aws/sqs/messages`): visible and (if asked) in-flight messages in
    /// send order, then (if asked) delayed ones. Each comes with its state: 0 visible,
    /// 1 in flight, 2 delayed. Expired leases and delays are applied first.
    pub fn peek(&self, key: &str, max: usize, inflight: bool, delayed: bool) -> Result<Vec<(Delivery, u8)>, QueueError> {
        let q = self.get(key)?;
        let mut fx = Effects::default();
        let out = {
            let mut inner = q.inner.lock();
            inner.state.tick(self.now_ms(), &mut fx);
            let pick = |want: &dyn Fn(State) -> Option<u8>| -> Vec<(Delivery, u8)> {
                inner
                    .state
                    .messages()
                    .filter_map(|(&seq, m)| {
                        want(m.state).map(|k| {
                            (Delivery { receipt: Receipt { queue_id: q.id, seq, lease_gen: m.lease_gen }, message: m.clone() }, k)
                        })
                    })
                    .take(max)
                    .collect()
            };
            let mut out = pick(&|s| match s {
                State::Ready => Some(0),
                State::Inflight(_) if inflight => Some(1),
                _ => None,
            });
            if delayed && out.len() < max {
                let rest = pick(&|s| matches!(s, State::Delayed(_)).then_some(2));
                out.extend(rest.into_iter().take(max - out.len()));
            }
            out
        };
        self.after(&q, fx);
        Ok(out)
    }

    /// Moves up to `max` visible messages from `source_key` to `destination_key`, or, when
    /// that is `None`, each back to the queue its DeadLetterQueueSourceArn names (one step of a
    /// message move task). Messages keep id, body, attributes and SentTimestamp; their receive
    /// count starts again. One journal record covers the whole move. Returns (moved, Lsn to
    /// wait for).
    pub fn move_messages(&self, source_key: &str, destination_key: Option<&str>, max: usize) -> Result<(usize, u64), MoveError> {
        let source = self.get(source_key).map_err(|_| MoveError::SourceMissing)?;
        let fixed = match destination_key {
            Some(k) => Some(self.get(k).map_err(|_| MoveError::DestinationMissing)?),
            None => None,
        };
        let _g = self.gate.read();
        self.move_gated(&source, fixed.as_ref(), max, None)
    }

    /// `move_messages` with the gate held. `task`: the move task this is a step of, and its
    /// moved count before the step; the new count goes into the same log record as the move,
    /// so after a crash the count and the messages agree.
    fn move_gated(&self, source: &Arc<Queue>, fixed: Option<&Arc<Queue>>, max: usize, task: Option<(u64, u64)>) -> Result<(usize, u64), MoveError> {
        let mut fx = self.effects();
        let taken = source.inner.lock().state.take_ready(max, &mut fx);
        let moved = taken.len();
        assert!(moved <= max);
        if moved == 0 {
            return Ok((0, 0));
        }
        let mut by_target: Vec<(Arc<Queue>, Vec<(u64, Message)>)> = Vec::new();
        for (_, m) in &taken {
            let target = match fixed {
                Some(q) => Some(q.clone()),
                None => m.dead_letter_source_arn().and_then(arn_key).and_then(|k| self.get(&k).ok()),
            };
            // No destination any more: the message stays where it was.
            let target = target.unwrap_or_else(|| source.clone());
            let mut m = m.clone();
            if !Arc::ptr_eq(&target, source) {
                m.receive_count = 0;
                m.first_receive_ms = 0;
                m.set_dead_letter_source_arn(None);
            }
            m.state = State::Ready;
            match by_target.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &target)) {
                Some((_, list)) => list.push((0, m)),
                None => by_target.push((target, vec![(0, m)])),
            }
        }
        // Sequence numbers first, then the record, and only then do the messages enter their
        // targets: nothing (a receive, a delete) can refer to a moved message before the log
        // holds the record that creates it.
        for (target, list) in &mut by_target {
            let mut inner = target.inner.lock();
            for (seq, m) in list.iter_mut() {
                *seq = inner.state.take_seq();
                if let Some(j) = &mut fx.journal {
                    j.u8(journal::MESSAGE).message(target.id, *seq, m, None);
                }
            }
        }
        if let (Some((id, before)), Some(j)) = (task, &mut fx.journal) {
            move_task::encode_progress(j, id, before + moved as u64);
        }
        let Ok(lsn) = self.commit(&mut fx) else {
            // Not in the log: the messages go back where they were, unchanged.
            let mut sfx = Effects::default();
            {
                let mut inner = source.inner.lock();
                for (seq, m) in taken {
                    inner.state.insert(seq, m, &mut sfx);
                }
            }
            self.wake(sfx.wake_workers, source.id);
            return Err(MoveError::Storage);
        };
        for (target, list) in by_target {
            let mut tfx = Effects::default();
            {
                let mut inner = target.inner.lock();
                for (seq, m) in list {
                    inner.state.insert(seq, m, &mut tfx);
                }
            }
            self.wake(tfx.wake_workers, target.id);
        }
        Ok((moved, lsn))
    }

    /// Visible messages of `q` now.
    fn visible(&self, q: &Queue) -> u64 {
        let mut fx = Effects::default();
        let n = q.inner.lock().state.counts(self.now_ms(), &mut fx).visible;
        self.after(q, fx);
        n
    }

    /// Starts a message move task (StartMessageMoveTask): returns (task id, Lsn to wait for).
    /// The number to move is the source's visible messages now.
    pub fn start_move_task(&self, s: &StartMove) -> Result<(u64, u64), MoveTaskError> {
        assert!(s.rate.is_none_or(|r| r >= 1 && r as usize <= crate::limits::MOVE_TASK_MESSAGES_PER_S_MAX));
        let _g = self.gate.read();
        let mut tasks = self.move_tasks.lock();
        let source = self.get(s.source_key).map_err(|_| MoveTaskError::SourceMissing)?;
        let destination_id = match s.destination_key {
            Some(k) => self.get(k).map_err(|_| MoveTaskError::DestinationMissing)?.id,
            None => 0,
        };
        if tasks.active(source.id).is_some() {
            return Err(MoveTaskError::Running);
        }
        let now = self.now_ms();
        let t = MoveTask {
            id: tasks.next_id(),
            source_id: source.id,
            destination_id,
            source_arn: s.source_arn.to_owned(),
            destination_arn: s.destination_arn.map(str::to_owned),
            rate: s.rate,
            status: Status::Running,
            moved: 0,
            to_move: self.visible(&source),
            started_ms: now,
            failure_reason: None,
        };
        let mut e = Enc::default();
        move_task::encode_start(&mut e, &t);
        let lsn = self.commit_record(&e).map_err(|_| MoveTaskError::Storage)?;
        let id = t.id;
        tasks.started(t, now);
        self.schedule_move_step(&mut tasks, now);
        Ok((id, lsn))
    }

    /// Tasks of a source queue, most recent first (ListMessageMoveTasks).
    pub fn move_tasks(&self, source_key: &str) -> Result<Vec<MoveTask>, QueueError> {
        let tasks = self.move_tasks.lock();
        let source = self.get(source_key)?;
        Ok(tasks.list(source.id).cloned().collect())
    }

    /// Cancels a running task (CancelMessageMoveTask): returns (messages moved, Lsn to wait
    /// for). Each step moves its messages in one record, so a cancel between steps is complete
    /// at once (AWS's CANCELLING state never lasts).
    pub fn cancel_move_task(&self, source_key: &str, id: u64) -> Result<(u64, u64), MoveTaskError> {
        let _g = self.gate.read();
        let mut tasks = self.move_tasks.lock();
        let source = self.get(source_key).map_err(|_| MoveTaskError::SourceMissing)?;
        let moved = match tasks.find(source.id, id) {
            Some(t) if t.status == Status::Running => t.moved,
            _ => return Err(MoveTaskError::NotFound),
        };
        let mut e = Enc::default();
        move_task::encode_end(&mut e, id, Status::Cancelled, None);
        let lsn = self.commit_record(&e).map_err(|_| MoveTaskError::Storage)?;
        tasks.ended(id, Status::Cancelled, None);
        Ok((moved, lsn))
    }

    /// Hands the stepping of running move tasks to the timer thread (every
    /// `MOVE_TASK_STEP_MS` while any runs), so one thread drives them however many workers
    /// serve requests. The binding calls it once after opening; tests that step by hand with
    /// a manual clock leave it off.
    pub fn drive_move_tasks(&self) {
        self.move_driver.store(true, Ordering::Relaxed);
        let mut tasks = self.move_tasks.lock();
        self.schedule_move_step(&mut tasks, self.now_ms());
    }

    /// One chain of steps at a time: scheduled only when none is pending.
    fn schedule_move_step(&self, tasks: &mut MoveTasks, now: u64) {
        if self.move_driver.load(Ordering::Relaxed) && !tasks.scheduled && tasks.has_running() {
            tasks.scheduled = true;
            self.timers.schedule(now + MOVE_TASK_STEP_MS, MOVE_TASKS_TIMER);
        }
    }

    fn on_move_timer(&self) {
        self.step_move_tasks();
        let mut tasks = self.move_tasks.lock();
        tasks.scheduled = false;
        self.schedule_move_step(&mut tasks, self.now_ms());
    }

    /// Moves what each running task's rate allows by now, and ends the tasks that are done or
    /// whose destination is gone.
    pub fn step_move_tasks(&self) {
        let _g = self.gate.read();
        let mut tasks = self.move_tasks.lock();
        let now = self.now_ms();
        for t in tasks.running() {
            // A failed log refuses every append; the tasks stay running, as the log says.
            if self.step_move_task(&mut tasks, &t, now).is_err() {
                return;
            }
        }
    }

    fn step_move_task(&self, tasks: &mut MoveTasks, t: &MoveTask, now: u64) -> Result<(), MoveError> {
        assert_eq!(t.status, Status::Running);
        // Deleting a queue drops its tasks (`delete_queue`), so the source is there; were it
        // not, the task fails as AWS's would.
        let Some(source) = self.by_id.read().get(&t.source_id).cloned() else {
            return self.end_move_task(tasks, t.id, Status::Failed, Some(NONEXISTENT_QUEUE));
        };
        let fixed = match t.destination_id {
            0 => None,
            id => match self.by_id.read().get(&id).cloned() {
                Some(q) => Some(q),
                None => return self.end_move_task(tasks, t.id, Status::Failed, Some(NONEXISTENT_QUEUE)),
            },
        };
        let want = tasks.allowance(t, now);
        let mut moved = t.moved;
        if want > 0 {
            let max = usize::try_from(want).unwrap_or(usize::MAX);
            let (n, _) = self.move_gated(&source, fixed.as_ref(), max, Some((t.id, t.moved)))?;
            moved += n as u64;
            tasks.spend(t.id, n as u64);
            tasks.progressed(t.id, moved);
        }
        // Messages whose origin is gone stay in the source; the count still ends the task.
        if moved >= t.to_move || self.visible(&source) == 0 {
            return self.end_move_task(tasks, t.id, Status::Completed, None);
        }
        Ok(())
    }

    fn end_move_task(&self, tasks: &mut MoveTasks, id: u64, status: Status, reason: Option<&str>) -> Result<(), MoveError> {
        let mut e = Enc::default();
        move_task::encode_end(&mut e, id, status, reason);
        self.commit_record(&e).map_err(|_| MoveError::Storage)?;
        tasks.ended(id, status, reason.map(str::to_owned));
        Ok(())
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
    pub fn delete_batch(&self, key: &str, handles: &[&str]) -> Result<(Vec<Result<bool, HandleError>>, u64), QueueError> {
        let q = self.get(key)?;
        let mut fx = self.effects();
        let now = self.now_ms();
        let (results, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            let results = handles.iter().map(|h| inner.state.delete(self.decode(&q, h)?, now, &mut fx)).collect();
            (results, self.commit(&mut fx))
        };
        self.after(&q, fx);
        Ok((results, lsn?))
    }

    /// As `delete_batch`, all or nothing: `None`, with nothing deleted, when any handle is
    /// invalid or would be refused. `Some(deleted)` counts the messages actually removed (stale
    /// handles succeed without one).
    pub fn delete_batch_whole(&self, key: &str, handles: &[&str]) -> Result<Option<(usize, u64)>, QueueError> {
        let q = self.get(key)?;
        let Ok(receipts) = handles.iter().map(|h| self.decode(&q, h)).collect::<Result<Vec<Receipt>, HandleError>>() else {
            return Ok(None);
        };
        let mut fx = self.effects();
        let now = self.now_ms();
        let (deleted, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            inner.state.tick(now, &mut fx);
            // When refused, what the tick changed is housekeeping, committed like a receive's.
            let refused = receipts.iter().any(|&r| inner.state.delete_refusal(r).is_some());
            let mut deleted = 0;
            if !refused {
                for &r in &receipts {
                    deleted += usize::from(inner.state.delete(r, now, &mut fx).expect("delete_refusal checked every handle"));
                }
            }
            ((!refused).then_some(deleted), self.commit(&mut fx))
        };
        self.after(&q, fx);
        let lsn = lsn?;
        Ok(deleted.map(|d| (d, lsn)))
    }

    pub fn change_visibility_batch(&self, key: &str, entries: &[(&str, u32)]) -> Result<(Vec<Result<(), HandleError>>, u64), QueueError> {
        let q = self.get(key)?;
        let mut fx = self.effects();
        let now = self.now_ms();
        let (results, lsn) = {
            let _g = self.gate.read();
            let mut inner = q.inner.lock();
            let results = entries.iter().map(|&(h, t)| inner.state.change_visibility(self.decode(&q, h)?, t, now, &mut fx)).collect();
            (results, self.commit(&mut fx))
        };
        self.after(&q, fx);
        Ok((results, lsn?))
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

    /// Stops the timer thread and flushes the log.
    pub fn shutdown(&self) {
        self.timers.stop();
        if let Some(wal) = &self.wal {
            let _ = wal.shutdown();
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveFailure {
    DoesNotExist,
    OverLimit,
    /// The log refuses appends (a full disk, an I/O error): no lease can be recorded.
    Storage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveError {
    SourceMissing,
    DestinationMissing,
    Storage,
}

/// The broker key (`account/name`) of an SQS queue ARN.
#[must_use]
pub fn arn_key(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let (arn_, aws, sqs) = (parts.next()?, parts.next()?, parts.next()?);
    let (_region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    (arn_ == "arn" && aws == "aws" && sqs == "sqs" && parts.next().is_none()).then(|| format!("{account}/{name}"))
}

/// How the broker keeps its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledge after fsync (group commit).
    Fsync,
    /// Acknowledge after write; fsync at least every this many ms.
    Relaxed(u64),
    /// No log at all.
    Memory,
}

#[derive(Debug)]
pub enum OpenError {
    Wal(WalError),
    /// A record decoded badly after its checksum passed: a bug or undetected corruption.
    Journal(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Wal(e) => write!(f, "{e}"),
            OpenError::Journal(e) => write!(f, "journal record is malformed: {e}"),
        }
    }
}

/// What recovery did, for the log and metrics.
#[derive(Clone, Debug, Default)]
pub struct RecoveryReport {
    pub records: u64,
    pub queues: usize,
    pub messages: usize,
    pub truncated_tail: Option<String>,
    pub millis: u64,
}
