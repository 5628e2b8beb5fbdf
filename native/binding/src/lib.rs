//! N-API binding for the Sluice core: one `BrokerHandle` per JS thread, about eight batch verbs,
//! conversion only, plus the JSON fast path (fast.rs: five hot actions from request bytes to
//! answer bytes). Each HTTP worker thread opens its own handle; handles on the same data
//! directory share one broker through a process-wide registry.
#![allow(clippy::needless_pass_by_value)] // napi passes owned values

mod admin;
mod codec;
mod edge;
mod fast;
mod receive_json;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use napi::bindgen_prelude::{Buffer, BufferSlice, Uint32Array};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use parking_lot::Mutex;
use sluice_core::broker::{Durability, Notify, QueueError, ReceiveFailure};
use sluice_core::clock::SystemClock;
use sluice_core::queue::{HandleError, SendEntry, SendError};
use sluice_core::receipt::hex;
use sluice_core::Broker;

use codec::{uuid, Reader, Writer};
use md5::{Digest, Md5};
use sha2::Sha256;

/// (event kind, value): kind 1 = a queue (value = its id) has something for parked receives;
/// kind 2 = the log is durable up to Lsn `value`; kind 3 = the log failed, durable up to `value`
/// (answers waiting for later Lsns fail).
type EventFn = ThreadsafeFunction<(u32, f64), (), (u32, f64), Status, false, true>;

use sluice_core::limits::QUEUE_COUNT_MAX;

/// Every stored message is several small allocations (message, payload, index entries), made
/// and freed on the request path: glibc's malloc was 23% of the server's CPU on SendMessageBatch.
/// Only Rust's allocations use mimalloc; V8 and uWS keep their own (bench/RESULTS.md, session 3).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The log may grow to this before the first checkpoint; after that, to twice the last
/// snapshot. 64 MiB keeps checkpoints rare at low volume (each rewrites all live data).
const CHECKPOINT_LOG_BYTES_MIN: u64 = 64 * 1024 * 1024;
/// How often the compactor looks at the log's size and health (a failed log is reported to
/// waiting requests within this time).
const CHECKPOINT_POLL_MS: u64 = 250;
/// Relaxed durability: fsync at least this often (issue 4: "at least every 100 ms").
const RELAXED_FSYNC_INTERVAL_MS: u64 = 100;

/// One worker thread's event callback and what it waits for from the log.
struct Slot {
    events: EventFn,
    /// Highest Lsn handed to this worker that it may still wait for.
    awaited: AtomicU64,
    /// Highest durable Lsn already reported to it.
    notified: AtomicU64,
}

struct Shared {
    broker: Arc<Broker>,
    clock: Arc<SystemClock>,
    workers: Mutex<HashMap<u32, Arc<Slot>>>,
    recovery: sluice_core::broker::RecoveryReport,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.broker.shutdown();
    }
}

impl Notify for Shared {
    fn wake(&self, workers: u64, queue_id: u64) {
        let w = self.workers.lock();
        let mut mask = workers;
        while mask != 0 {
            let bit = mask.trailing_zeros();
            mask &= mask - 1;
            if let Some(slot) = w.get(&bit) {
                #[allow(clippy::cast_precision_loss)]
                slot.events.call((1, queue_id as f64), ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
    }
}

struct Notifier(Weak<Shared>);

impl Notify for Notifier {
    fn wake(&self, workers: u64, queue_id: u64) {
        if let Some(s) = self.0.upgrade() {
            s.wake(workers, queue_id);
        }
    }
}

static REGISTRY: Mutex<Option<HashMap<String, Weak<Shared>>>> = Mutex::new(None);

fn open_shared(data_dir: &str, durability: Durability, payload_memory_max: u64) -> Result<Arc<Shared>> {
    let mut reg = REGISTRY.lock();
    let map = reg.get_or_insert_with(HashMap::new);
    if let Some(s) = map.get(data_dir).and_then(Weak::upgrade) {
        return Ok(s);
    }
    let clock = Arc::new(SystemClock::default());
    let seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write(data_dir.as_bytes());
        h.finish()
    };
    let (broker, report) = Broker::open(std::path::Path::new(data_dir), durability, clock.clone(), seed, QUEUE_COUNT_MAX, payload_memory_max)
        .map_err(|e| Error::new(Status::GenericFailure, format!("cannot open data directory {data_dir}: {e}")))?;
    let shared = Arc::new(Shared { broker, clock, workers: Mutex::new(HashMap::new()), recovery: report });
    shared.broker.set_notify(Arc::new(Notifier(Arc::downgrade(&shared))));
    // Move tasks recovered as running resume now; one driver for all worker threads.
    shared.broker.drive_move_tasks();
    let weak = Arc::downgrade(&shared);
    shared.broker.on_durable(Box::new(move |lsn| {
        if let Some(s) = weak.upgrade() {
            // Only workers with an answer waiting hear of the commit: an idle worker's event
            // loop is not woken once per fsync.
            for w in s.workers.lock().values() {
                if w.awaited.load(Ordering::SeqCst) > w.notified.load(Ordering::SeqCst) {
                    w.notified.fetch_max(lsn, Ordering::SeqCst);
                    #[allow(clippy::cast_precision_loss)]
                    w.events.call((2, lsn as f64), ThreadsafeFunctionCallMode::NonBlocking);
                }
            }
        }
    }));
    if durability != Durability::Memory {
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("sluice-compactor".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_millis(CHECKPOINT_POLL_MS));
                let Some(s) = weak.upgrade() else { return };
                if s.broker.storage_failed() {
                    // Answers waiting on the log get ServiceUnavailable now (event 3), and a
                    // full disk is retried each poll, so the broker recovers when space returns.
                    #[allow(clippy::cast_precision_loss)]
                    let durable = s.broker.durable_lsn() as f64;
                    for w in s.workers.lock().values() {
                        w.events.call((3, durable), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                    s.broker.retry_storage();
                    continue;
                }
                // A failed checkpoint leaves the log as it was; the next poll tries again.
                let _ = s.broker.maybe_checkpoint(CHECKPOINT_LOG_BYTES_MIN);
            })
            .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
    }
    map.insert(data_dir.to_owned(), Arc::downgrade(&shared));
    Ok(shared)
}

fn malformed(_: codec::Malformed) -> Error {
    Error::new(Status::InvalidArg, "malformed batch buffer")
}

#[napi]
pub struct BrokerHandle {
    slot: Arc<Slot>,
    /// `None` after `close`: the last handle to close drops the broker, which flushes the log
    /// and releases the data directory's lock.
    shared: Mutex<Option<Arc<Shared>>>,
    worker: u32,
    /// SenderId of what `fast_json` stores (set once, not converted per request).
    fast_sender: Mutex<Arc<str>>,
}

impl BrokerHandle {
    /// The Lsn an answer must wait for, or 0 when it is durable already. Records the wait
    /// before reading the durable Lsn, so a commit in between is either seen here or notified
    /// (the writer advances the durable Lsn before it runs the callback).
    fn wait_for(&self, broker: &Broker, lsn: u64) -> f64 {
        if lsn == 0 {
            return 0.0;
        }
        self.slot.awaited.fetch_max(lsn, Ordering::SeqCst);
        #[allow(clippy::cast_precision_loss)]
        if broker.durable_lsn() >= lsn { 0.0 } else { lsn as f64 }
    }

    fn shared(&self) -> Result<Arc<Shared>> {
        self.shared.lock().clone().ok_or_else(|| Error::new(Status::GenericFailure, "broker handle is closed"))
    }
}

/// Result status bytes, mirrored in src/native.ts.
const QUEUE_MISSING: u8 = 1;
const OVER_LIMIT: u8 = 2;
const STORAGE: u8 = 3;
/// `fast_json`: a ReceiveMessage found nothing (the long poll takes over).
const FAST_EMPTY: u8 = 4;

fn queue_error(e: QueueError) -> u8 {
    match e {
        QueueError::DoesNotExist => QUEUE_MISSING,
        QueueError::Storage => STORAGE,
    }
}

#[napi]
impl BrokerHandle {
    /// Opens (or joins) the broker for `data_dir`. Sync: it runs once per worker at start.
    /// `on_event(kind, value)` is called on this thread when parked receives should retry.
    /// `durability`: "fsync", "relaxed" or "memory"; `payload_memory_max_mb`: message bodies
    /// kept in memory before they go to the spill file. The first opener of a directory decides.
    #[napi(constructor)]
    pub fn new(data_dir: String, durability: String, payload_memory_max_mb: f64, on_event: EventFn) -> Result<Self> {
        let durability = match durability.as_str() {
            "fsync" => Durability::Fsync,
            "relaxed" => Durability::Relaxed(RELAXED_FSYNC_INTERVAL_MS),
            "memory" => Durability::Memory,
            other => return Err(Error::new(Status::InvalidArg, format!("unknown durability {other}"))),
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let budget = (payload_memory_max_mb.max(0.0) * 1024.0 * 1024.0) as u64;
        let shared = open_shared(&data_dir, durability, budget)?;
        let worker = shared
            .broker
            .register_worker()
            .ok_or_else(|| Error::new(Status::GenericFailure, "at most 64 worker threads share a broker"))?;
        let slot = Arc::new(Slot { events: on_event, awaited: AtomicU64::new(0), notified: AtomicU64::new(0) });
        shared.workers.lock().insert(worker, slot.clone());
        Ok(Self { slot, shared: Mutex::new(Some(shared)), worker, fast_sender: Mutex::new(Arc::from("")) })
    }

    /// Sync: admin calls are rare and in memory. Request and answer are JSON.
    #[napi]
    pub fn queue_admin(&self, op: String, request: String) -> Result<String> {
        let shared = self.shared()?;
        let mut out = admin::run(&shared.broker, &op, &request).map_err(|e| Error::new(Status::InvalidArg, e))?;
        if let Some(lsn) = out.get("lsn").and_then(serde_json::Value::as_u64) {
            out["lsn"] = serde_json::json!(self.wait_for(&shared.broker, lsn));
        }
        Ok(out.to_string())
    }

    /// Sync: enqueueing is an in-memory insert under the queue's lock.
    #[napi]
    pub fn send_batch(&self, key: String, sender_id: String, batch: Buffer) -> Result<Buffer> {
        let mut r = Reader::new(&batch);
        let n = r.u32().map_err(malformed)? as usize;
        let mut entries = Vec::with_capacity(n);
        // Digests are computed here, not in JS: one pass over bytes already in native memory,
        // and no hash object per message on the JS heap.
        for _ in 0..n {
            let size = r.u32().map_err(malformed)?;
            let body = r.blob().map_err(malformed)?;
            let attributes = r.blob().map_err(malformed)?;
            let body_md5: [u8; 16] = Md5::digest(body).into();
            let has_md5 = r.u8().map_err(malformed)? == 1;
            let attr_md5 = r.md5().map_err(malformed)?;
            let delay = r.i32().map_err(malformed)?;
            let group_id = r.opt_str().map_err(malformed)?;
            let dedup_id = r.opt_str().map_err(malformed)?;
            let dedup_from_content = r.u8().map_err(malformed)? == 1;
            let trace_header = r.opt_str().map_err(malformed)?;
            entries.push(SendEntry {
                size,
                body,
                attributes,
                body_md5,
                attributes_md5: has_md5.then_some(attr_md5),
                delay_s: u32::try_from(delay).ok(),
                group_id,
                dedup_id,
                dedup_from_content,
                trace_header,
            });
        }
        assert!(r.done(), "send batch has trailing bytes");
        let content_ids = content_dedup_ids(&entries);
        apply_content_dedup_ids(&mut entries, &content_ids);
        let sender: Arc<str> = sender_id.into();
        let shared = self.shared()?;
        let body_md5s: Vec<[u8; 16]> = entries.iter().map(|e| e.body_md5).collect();
        let mut w = Writer::with_capacity(8 + n * 64);
        match shared.broker.send_batch(&key, &sender, &entries) {
            Err(e) => w.u8(queue_error(e)),
            Ok((results, lsn)) => {
                w.u8(0);
                w.f64(self.wait_for(&shared.broker, lsn));
                for (i, res) in results.into_iter().enumerate() {
                    match res {
                        Ok(s) => {
                            w.u8(u8::from(s.duplicate));
                            w.blob(uuid(&s.message_id).as_bytes());
                            w.blob(hex(&body_md5s[i]).as_bytes());
                            let seqn = if s.sequence_number == 0 { String::new() } else { s.sequence_number.to_string() };
                            w.blob(seqn.as_bytes());
                            w.u32(0);
                        }
                        Err(e) => {
                            let (code, extra) = match e {
                                SendError::TooLarge { maximum_message_bytes } => (2, maximum_message_bytes),
                                SendError::DedupIdRequired => (3, 0),
                                SendError::GroupIdRequired => (4, 0),
                            };
                            w.u8(code);
                            w.blob(&[]);
                            w.blob(&[]);
                            w.blob(&[]);
                            w.u32(extra);
                        }
                    }
                }
            }
        }
        Ok(w.buf.into())
    }

    /// Sync: one of the JSON protocol's hot actions (`fast::SEND_MESSAGE`…) from its request
    /// body to its answer, or `null` when the fast path declines it (see fast.rs; nothing was
    /// changed). Answered: `[status u8: 0 ok, 3 storage][waitLsn f64][count u32][key blob]
    /// [sizes: n u32, then n × u32]` and the rest is the answer's body. A receive that found
    /// nothing: `[4][queueId f64][queueWaitS u32][waitS i32][max u32][visibilityS i32]
    /// [system u32][attributes u8]` and the rest is the queue's key (-1: not given).
    /// The request body is borrowed and the answer copied into a V8-owned buffer: no reference
    /// or finalizer per call, as `Buffer` arguments and results take (issue 8: they were ~2%
    /// of the server's CPU at this call's rate).
    #[napi]
    pub fn fast_json<'env>(&self, env: &'env Env, action: u32, body: BufferSlice<'env>) -> Result<Option<BufferSlice<'env>>> {
        let shared = self.shared()?;
        let b = &shared.broker;
        let sender = self.fast_sender.lock().clone();
        let mut w;
        match fast::answer(b, self.worker, action, &body, &sender) {
            fast::Outcome::Declined => return Ok(None),
            fast::Outcome::Empty(e) => {
                w = Writer::with_capacity(40 + e.key.len());
                w.u8(FAST_EMPTY);
                #[allow(clippy::cast_precision_loss)]
                w.f64(e.queue_id as f64);
                w.u32(e.queue_wait_s);
                w.i32(e.wait_s.map_or(-1, |s| i32::try_from(s).expect("at most WAIT_TIME_S_MAX")));
                w.u32(e.max);
                w.i32(e.visibility_s.map_or(-1, |s| i32::try_from(s).expect("at most VISIBILITY_TIMEOUT_S_MAX")));
                w.u32(e.system);
                w.u8(u8::from(e.attributes));
                w.buf.extend_from_slice(e.key.as_bytes());
            }
            fast::Outcome::Storage => w = Writer { buf: vec![STORAGE] },
            fast::Outcome::Unreadable(e) => return Err(Error::new(Status::GenericFailure, format!("read a spilled message: {e}"))),
            fast::Outcome::Answered(a) => {
                w = Writer::with_capacity(32 + a.key.len() + a.sizes.len() * 4 + a.body.len());
                w.u8(0);
                w.f64(self.wait_for(b, a.lsn));
                w.u32(a.count);
                w.blob(a.key.as_bytes());
                w.u32(u32::try_from(a.sizes.len()).expect("at most BATCH_ENTRIES_MAX"));
                for s in a.sizes {
                    w.u32(s);
                }
                w.buf.extend_from_slice(&a.body);
            }
        }
        BufferSlice::copy_from(env, &w.buf).map(Some)
    }

    /// The SenderId `fast_json` gives the messages it stores.
    #[napi]
    pub fn set_fast_sender_id(&self, sender_id: String) {
        *self.fast_sender.lock() = sender_id.into();
    }

    /// Sync: leasing is in memory; the answer waits (in JS) for the Lsn it returns, the leases'
    /// record. With `park` set and nothing delivered, this worker is woken through `on_event`
    /// when the queue gains a visible message (the receive parks in JS).
    /// `[status u8][waitS u32][queueId f64][lsn f64]`, then the deliveries.
    #[napi]
    pub fn receive(&self, key: String, max: u32, visibility_s: i32, attempt_id: Option<String>, park: bool) -> Result<Buffer> {
        let shared = self.shared()?;
        let b = &shared.broker;
        let park_worker = park.then_some(self.worker);
        let res = b.receive(&key, max.clamp(1, 10) as usize, u32::try_from(visibility_s).ok(), attempt_id.as_deref(), park_worker);
        let mut w = Writer::with_capacity(256);
        match res {
            Err(ReceiveFailure::DoesNotExist) => w.u8(QUEUE_MISSING),
            Err(ReceiveFailure::OverLimit) => w.u8(OVER_LIMIT),
            Err(ReceiveFailure::Storage) => w.u8(STORAGE),
            Ok(got) => {
                w.u8(0);
                w.u32(got.wait_s);
                #[allow(clippy::cast_precision_loss)]
                w.f64(got.queue_id as f64);
                w.f64(self.wait_for(b, got.lsn));
                write_deliveries(&mut w, b, &got.deliveries, true)?;
            }
        }
        Ok(w.buf.into())
    }

    /// As `receive`, for the JSON protocol: `[status u8][waitS u32][queueId f64][lsn f64][count u32]`,
    /// then, when `count > 0`, the whole answer body (see `receive_json`). `system`: the
    /// system attributes wanted, as a bit mask; `attributes`: all message attributes wanted.
    #[napi]
    pub fn receive_json(
        &self,
        key: String,
        max: u32,
        visibility_s: i32,
        attempt_id: Option<String>,
        park: bool,
        system: u32,
        attributes: bool,
    ) -> Result<Buffer> {
        let shared = self.shared()?;
        let b = &shared.broker;
        let park_worker = park.then_some(self.worker);
        let res = b.receive(&key, max.clamp(1, 10) as usize, u32::try_from(visibility_s).ok(), attempt_id.as_deref(), park_worker);
        let mut w = Writer::with_capacity(512);
        match res {
            Err(ReceiveFailure::DoesNotExist) => w.u8(QUEUE_MISSING),
            Err(ReceiveFailure::OverLimit) => w.u8(OVER_LIMIT),
            Err(ReceiveFailure::Storage) => w.u8(STORAGE),
            Ok(got) => {
                w.u8(0);
                w.u32(got.wait_s);
                #[allow(clippy::cast_precision_loss)]
                w.f64(got.queue_id as f64);
                w.f64(self.wait_for(b, got.lsn));
                w.u32(u32::try_from(got.deliveries.len()).expect("bounded by the request"));
                if !got.deliveries.is_empty() {
                    receive_json::render(&mut w.buf, b, &got.deliveries, system, attributes)
                        .map_err(|e| Error::new(Status::GenericFailure, format!("read a spilled message: {e}")))?;
                }
            }
        }
        Ok(w.buf.into())
    }

    /// Sync: up to `max` messages without leasing them (developer peek), encoded like
    /// `receive` with empty receipt handles, then one state byte per message (0 visible,
    /// 1 in flight, 2 delayed).
    #[napi]
    pub fn peek(&self, key: String, max: u32, inflight: bool, delayed: bool) -> Result<Buffer> {
        let shared = self.shared()?;
        let b = &shared.broker;
        let mut w = Writer::with_capacity(256);
        match b.peek(&key, max as usize, inflight, delayed) {
            Err(e) => w.u8(queue_error(e)),
            Ok(list) => {
                w.u8(0);
                w.u32(0);
                w.f64(0.0);
                let (deliveries, states): (Vec<_>, Vec<u8>) = list.into_iter().unzip();
                write_deliveries(&mut w, b, &deliveries, false)?;
                for s in states {
                    w.u8(s);
                }
            }
        }
        Ok(w.buf.into())
    }

    /// Sync: a parked receive's wait ended without a message.
    #[napi]
    pub fn unpark(&self, queue_id: f64) {
        if let Ok(s) = self.shared() {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            s.broker.unpark(queue_id as u64, self.worker);
        }
    }

    /// Sync. `handles` is a codec list of blobs. Per entry: 0 deleted, 1 stale (success,
    /// nothing deleted), 2 invalid handle.
    #[napi]
    pub fn delete_batch(&self, key: String, handles: Buffer) -> Result<Buffer> {
        let list = blobs(&handles)?;
        let mut w = Writer::with_capacity(1 + list.len());
        let shared = self.shared()?;
        match shared.broker.delete_batch(&key, &list) {
            Err(e) => w.u8(queue_error(e)),
            Ok((rs, lsn)) => {
                w.u8(0);
                w.f64(self.wait_for(&shared.broker, lsn));
                for r in rs {
                    w.u8(match r {
                        Ok(true) => 0,
                        Ok(false) => 1,
                        Err(e) => handle_error_code(e),
                    });
                }
            }
        }
        Ok(w.buf.into())
    }

    /// Sync. Per entry: 0 changed, 2 invalid handle, 3 not in flight, 4 past 12 hours,
    /// 5 expired (FIFO).
    #[napi]
    pub fn change_visibility_batch(&self, key: String, handles: Buffer, timeouts_s: Uint32Array) -> Result<Buffer> {
        let list = blobs(&handles)?;
        if list.len() != timeouts_s.len() {
            return Err(Error::new(Status::InvalidArg, "one timeout per handle"));
        }
        let entries: Vec<(&str, u32)> = list.iter().copied().zip(timeouts_s.iter().copied()).collect();
        let mut w = Writer::with_capacity(1 + list.len());
        let shared = self.shared()?;
        match shared.broker.change_visibility_batch(&key, &entries) {
            Err(e) => w.u8(queue_error(e)),
            Ok((rs, lsn)) => {
                w.u8(0);
                w.f64(self.wait_for(&shared.broker, lsn));
                for r in rs {
                    w.u8(r.map_or_else(handle_error_code, |()| 0));
                }
            }
        }
        Ok(w.buf.into())
    }

    /// Test hook: moves the broker's clock forward (end-to-end tests cross retention periods
    /// and dedup windows without waiting). The control plane exposes it only when enabled.
    #[napi]
    pub fn advance_clock(&self, ms: f64) -> Result<()> {
        let s = self.shared()?;
        #[allow(clippy::cast_possible_truncation)]
        s.clock.advance(ms as i64);
        s.broker.tick_all();
        Ok(())
    }

    /// Sync: counters for metrics, as JSON.
    #[napi]
    pub fn stats(&self) -> Result<String> {
        let s = self.shared()?;
        let b = &s.broker;
        let r = &s.recovery;
        let wal = b.wal_stats().map(|w| {
            serde_json::json!({
                "appends": w.appends, "bytesWritten": w.bytes_written, "fsyncs": w.fsyncs,
                "fsyncNsTotal": w.fsync_ns_total, "commits": w.commits, "segments": w.segments,
                "diskBytes": w.disk_bytes, "durableLsn": w.durable_lsn, "failed": w.failed,
            })
        });
        let spill = b.spill_stats().map(|(resident, spilled)| serde_json::json!({ "residentBytes": resident, "spilledMessages": spilled }));
        Ok(serde_json::json!({
            "queues": b.queue_count(),
            "spill": spill,
            "wal": wal,
            "recovery": { "records": r.records, "queues": r.queues, "messages": r.messages, "millis": r.millis, "truncatedTail": r.truncated_tail },
        })
        .to_string())
    }

    /// Sync: every queue's gauges in one call (metrics scrape, `sluice queues`), as JSON:
    /// `[[key, visible, inflight, delayed, oldestSentMs], ...]`.
    #[napi]
    pub fn queue_stats(&self) -> Result<String> {
        let s = self.shared()?;
        let now = s.broker.now_ms();
        let mut rows = Vec::new();
        s.broker.for_each_queue(|q, inner| {
            let mut fx = sluice_core::queue::Effects::default();
            let c = inner.state.counts(now, &mut fx);
            rows.push(serde_json::json!([&*q.key, c.visible, c.inflight, c.delayed, c.oldest_sent_ms.unwrap_or(0)]));
        });
        Ok(serde_json::Value::Array(rows).to_string())
    }

    /// Sync (test and admin hook): writes a snapshot now and drops the log it covers.
    #[napi]
    pub fn checkpoint(&self) -> Result<f64> {
        #[allow(clippy::cast_precision_loss)]
        self.shared()?.broker.checkpoint().map(|n| n as f64).map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
    }

    /// Releases this worker's slot; the broker lives while any handle does.
    #[napi]
    pub fn close(&self) {
        let Some(s) = self.shared.lock().take() else { return };
        s.workers.lock().remove(&self.worker);
        s.broker.release_worker(self.worker);
        let last = s.workers.lock().is_empty();
        if last {
            let mut reg = REGISTRY.lock();
            if let Some(map) = reg.as_mut() {
                map.retain(|_, w| w.upgrade().is_some_and(|o| !Arc::ptr_eq(&o, &s)));
            }
            s.broker.shutdown();
        }
    }
}

fn write_deliveries(w: &mut Writer, b: &Broker, list: &[sluice_core::queue::Delivery], handles: bool) -> Result<()> {
    w.u32(u32::try_from(list.len()).expect("bounded by the request"));
    for d in list {
        let m = &d.message;
        if handles {
            w.blob(b.receipt_handle(d.receipt).as_bytes());
        } else {
            w.blob(&[]);
        }
        w.blob(uuid(&m.id).as_bytes());
        w.blob(hex(&m.body_md5).as_bytes());
        w.blob(m.attributes_md5.map(|h| hex(&h)).unwrap_or_default().as_bytes());
        let payload = m.payload.load().map_err(|e| Error::new(Status::GenericFailure, format!("read a spilled message: {e}")))?;
        w.blob(payload.body());
        w.blob(payload.attributes());
        #[allow(clippy::cast_precision_loss)]
        {
            w.f64(m.sent_ms as f64);
            w.f64(m.first_receive_ms as f64);
        }
        w.u32(m.receive_count);
        w.blob(m.sender_id.as_bytes());
        w.opt_str(m.group_id.as_deref());
        w.opt_str(m.dedup_id());
        let seqn = if m.sequence_number == 0 { String::new() } else { m.sequence_number.to_string() };
        w.blob(seqn.as_bytes());
        w.opt_str(m.trace_header());
        w.opt_str(m.dead_letter_source_arn());
    }
    Ok(())
}

/// ContentBasedDeduplication: the id of an entry that names none is its body's SHA-256, in hex.
fn content_dedup_ids(entries: &[SendEntry]) -> Vec<Option<String>> {
    entries.iter().map(|e| (e.dedup_from_content && e.dedup_id.is_none()).then(|| hex(&Sha256::digest(e.body)))).collect()
}

fn apply_content_dedup_ids<'a>(entries: &mut [SendEntry<'a>], ids: &'a [Option<String>]) {
    for (e, id) in entries.iter_mut().zip(ids) {
        if let Some(id) = id {
            e.dedup_id = Some(id.as_str());
        }
    }
}

fn handle_error_code(e: HandleError) -> u8 {
    match e {
        HandleError::Invalid => 2,
        HandleError::NotInflight => 3,
        HandleError::TooLong => 4,
        HandleError::Expired => 5,
    }
}

fn blobs(buf: &[u8]) -> Result<Vec<&str>> {
    let mut r = Reader::new(buf);
    let n = r.u32().map_err(malformed)? as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // A handle that is not UTF-8 cannot be ours; the empty string decodes as invalid.
        let b = r.blob().map_err(malformed)?;
        out.push(std::str::from_utf8(b).unwrap_or(""));
    }
    Ok(out)
}

/// Sync: `sluice check DATA_DIR` — validates the log without starting (read-only). Returns a
/// JSON report, or throws with the file and offset of the first corruption.
#[napi]
pub fn check_data_dir(data_dir: String) -> Result<String> {
    let r = sluice_wal::check(std::path::Path::new(&data_dir)).map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
    Ok(serde_json::json!({
        "segments": r.segments,
        "records": r.records,
        "snapshotBoundary": r.snapshot_boundary,
        "snapshotBytes": r.snapshot_bytes,
        "nextLsn": r.next_lsn,
        "diskBytes": r.disk_bytes,
        "truncatedTail": r.truncated_tail.map(|(f, o)| format!("{}@{o}", f.display())),
        "staleFiles": r.stale_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
    .to_string())
}
