//! Group commit: the state appenders share, and the one writer thread that drains it.
//!
//! Appenders frame their record straight into `Pending::buf` under one mutex. The writer swaps
//! that buffer for an empty one, writes it with one `write_at`, makes it durable with one
//! fdatasync, then publishes the new durable Lsn (atomic + condvar + callback). Everything
//! appended while a commit is in flight rides in the next one, so one fsync acknowledges many
//! appends. Lock order: `pending` before nothing; `durable_mu` before `pending` (waiters read
//! the failure text); the writer never holds `pending` while it does I/O or takes `durable_mu`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::record::{
    decode_record, encode_segment_header, segment_name, RECORD_HEADER_LEN, SEGMENT_HEADER_BYTES,
};
use crate::spare::{Spare, SPARE_NAME};
use crate::storage::{Fs, Storage};
use crate::{Lsn, SyncMode, WalOptions};

/// The first failed write or fsync. Sticky until `retry_after_error` clears a retriable one.
pub(crate) struct Failure {
    pub message: String,
    /// Only a record write that failed for lack of space (ENOSPC, EDQUOT) is retriable: the
    /// partial write can be cut off and redone. A failed fsync never is: after it, the kernel
    /// may have dropped dirty pages and a second fsync can report success for lost data.
    pub retriable: bool,
}

/// What appenders share with the writer, under `Shared::pending`.
pub(crate) struct Pending {
    /// Framed records appended since the writer last took the buffer.
    pub buf: Vec<u8>,
    pub next_lsn: Lsn,
    /// Checkpoint boundaries inside `buf`: (byte offset, Lsn of the first record after it).
    pub rotations: Vec<(usize, Lsn)>,
    pub closing: bool,
    pub failure: Option<Failure>,
    /// Set by `retry_after_error`; the writer redoes its stalled batch.
    pub retry: bool,
    /// The writer is waiting to gather more before it writes.
    pub gathering: bool,
    /// Appenders blocked because `buf` reached `pending_bytes_max`.
    pub space_waiters: u32,
    pub appends: u64,
    pub append_bytes: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub bytes_written: AtomicU64,
    pub writes: AtomicU64,
    pub commits: AtomicU64,
    pub fsyncs: AtomicU64,
    pub fsync_ns_total: AtomicU64,
    pub fsync_ns_max: AtomicU64,
    pub segments: AtomicU64,
    pub disk_bytes: AtomicU64,
}

pub(crate) type OnDurable = Arc<dyn Fn(Lsn) + Send + Sync>;

pub(crate) struct Shared {
    pub opts: WalOptions,
    pub fs: Option<Arc<dyn Fs>>,
    pub pending: Mutex<Pending>,
    /// The writer waits here for work; appenders and control calls notify it.
    pub work_cv: Condvar,
    /// Appenders wait here while the pending buffer is full.
    pub space_cv: Condvar,
    pub durable: AtomicU64,
    /// Highest checkpoint boundary at which the writer has started a new segment.
    pub rotated_through: AtomicU64,
    pub failed: AtomicBool,
    pub closed: AtomicBool,
    pub durable_mu: Mutex<()>,
    /// Durability and rotation waiters; notified after every commit, failure and rotation.
    pub durable_cv: Condvar,
    pub on_durable: RwLock<Option<OnDurable>>,
    pub counters: Counters,
    /// Boundary of the last finished checkpoint; also serializes `finish_checkpoint`.
    pub checkpoint_mu: Mutex<Lsn>,
}

impl Shared {
    /// Wakes everyone who waits on durability, rotation or failure.
    pub fn notify_waiters(&self) {
        let _g = self.durable_mu.lock();
        self.durable_cv.notify_all();
    }
}

/// A batch the writer took from `Pending`, with how far it got.
struct Batch {
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    start: usize,
    /// Lsn of the record at `start`.
    next_lsn: Lsn,
    last_lsn: Lsn,
    rotations: Vec<(usize, Lsn)>,
    rotation_index: usize,
}

enum Work {
    Commit(Batch),
    Retry,
    SyncDue,
    Exit,
}

/// An I/O error from the writer, with whether it may be retried.
struct WriteError {
    error: io::Error,
    retriable: bool,
}

impl WriteError {
    fn fatal(error: io::Error) -> Self {
        WriteError {
            error,
            retriable: false,
        }
    }
    fn from_write(error: io::Error) -> Self {
        let kind = error.kind();
        let retriable = matches!(
            kind,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        );
        WriteError { error, retriable }
    }
}

/// The writer thread's own state. Only it touches the current segment.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    fs: Arc<dyn Fs>,
    segment: Box<dyn Storage>,
    segment_first_lsn: Lsn,
    /// Bytes in the segment that hold a header or whole records (the write position).
    segment_len: u64,
    segment_synced_len: u64,
    segment_records: u64,
    /// Last Lsn taken from `Pending`, written to a file, and made durable by fsync.
    taken_lsn: Lsn,
    written_lsn: Lsn,
    synced_lsn: Lsn,
    last_sync: Instant,
    /// A batch whose write failed with a retriable error.
    stalled: Option<Batch>,
    /// The empty buffer swapped into `Pending` at the next take, so capacity is reused.
    spare: Vec<u8>,
    /// With `WalOptions::preallocate`: the zero-filled file the next segment will be.
    next_segment: Option<Spare>,
    /// The current segment was zero-filled in advance (appends overwrite, see `spare`).
    preallocated: bool,
}

/// Where the writer starts: the tail of the last segment.
pub(crate) struct WriterStart {
    pub segment: Box<dyn Storage>,
    pub first_lsn: Lsn,
    pub len: u64,
    pub records: u64,
    pub last_lsn: Lsn,
}

impl Writer {
    pub fn new(shared: Arc<Shared>, fs: Arc<dyn Fs>, start: WriterStart) -> Writer {
        assert!(start.len >= SEGMENT_HEADER_BYTES);
        assert_eq!(start.first_lsn + start.records, start.last_lsn + 1);
        Writer {
            shared,
            fs,
            segment: start.segment,
            segment_first_lsn: start.first_lsn,
            segment_len: start.len,
            segment_synced_len: start.len,
            segment_records: start.records,
            taken_lsn: start.last_lsn,
            written_lsn: start.last_lsn,
            synced_lsn: start.last_lsn,
            last_sync: Instant::now(),
            stalled: None,
            spare: Vec::new(),
            next_segment: None,
            preallocated: false,
        }
        .with_spare()
    }

    fn with_spare(mut self) -> Self {
        self.start_spare();
        self
    }

    fn start_spare(&mut self) {
        let opts = &self.shared.opts;
        if self.next_segment.as_ref().is_some_and(Spare::failed) {
            self.next_segment = None;
        }
        if opts.preallocate && opts.mode == SyncMode::Fsync && self.next_segment.is_none() {
            self.next_segment = Some(Spare::start(self.fs.clone(), opts.segment_bytes_max));
        }
    }

    /// Runs the writer; if it panics (a failed assertion, a panicking on-durable callback),
    /// the log fails like on an I/O error instead of leaving appenders and waiters hanging.
    pub fn run_guarded(writer: Writer) {
        let shared = writer.shared.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| writer.run()));
        if outcome.is_err() {
            {
                let mut p = shared.pending.lock();
                let message = "the log writer thread panicked".to_string();
                p.failure = Some(Failure {
                    message,
                    retriable: false,
                });
                shared.failed.store(true, Ordering::Release);
                shared.space_cv.notify_all();
            }
            shared.notify_waiters();
        }
    }

    fn run(mut self) {
        loop {
            match self.next_work() {
                Work::Commit(batch) => self.commit(batch),
                Work::Retry => self.retry(),
                Work::SyncDue => self.sync_relaxed(),
                Work::Exit => break,
            }
        }
        if self.shared.pending.lock().failure.is_none() && self.written_lsn > self.synced_lsn {
            match self.sync_segment() {
                Ok(()) => self.publish(self.written_lsn),
                Err(e) => self.fail(&WriteError::fatal(e), None),
            }
        }
        // A clean stop leaves files as appends would have: no zero tail, no spare.
        if let Some(s) = self.next_segment.take() {
            s.discard(&*self.fs);
        }
        if self.shared.pending.lock().failure.is_none() {
            if let Err(e) = self.cut_zero_tail() {
                self.fail(&WriteError::fatal(e), None);
            }
        }
    }

    /// Cuts a zero-filled segment to its records and makes the new length durable: recovery
    /// reads a zero tail as the end of the log only in the last segment, and a clean stop
    /// leaves the files as appends would have.
    fn cut_zero_tail(&mut self) -> io::Result<()> {
        if !self.preallocated {
            return Ok(());
        }
        self.segment.set_len(self.segment_len)?;
        self.preallocated = false;
        self.segment.sync()?;
        self.count_fsyncs(1);
        self.segment_synced_len = self.segment_len;
        self.synced_lsn = self.written_lsn;
        Ok(())
    }

    fn relaxed_interval(&self) -> Option<Duration> {
        match self.shared.opts.mode {
            SyncMode::Relaxed { interval_ms } => Some(Duration::from_millis(interval_ms)),
            _ => None,
        }
    }

    /// Waits for something to do. Holds `pending` only while deciding, never during I/O.
    fn next_work(&mut self) -> Work {
        let shared = self.shared.clone();
        let mut p = shared.pending.lock();
        loop {
            if p.failure.is_some() {
                if p.closing {
                    return Work::Exit;
                }
                shared.work_cv.wait(&mut p);
                continue;
            }
            if p.retry {
                p.retry = false;
                return Work::Retry;
            }
            if !p.buf.is_empty() || !p.rotations.is_empty() {
                self.gather(&mut p);
                return Work::Commit(self.take(&mut p));
            }
            if p.closing {
                return Work::Exit;
            }
            match self.relaxed_interval() {
                Some(interval) if self.written_lsn > self.synced_lsn => {
                    let due = self.last_sync + interval;
                    if shared.work_cv.wait_until(&mut p, due).timed_out() && p.buf.is_empty() {
                        return Work::SyncDue;
                    }
                }
                _ => shared.work_cv.wait(&mut p),
            }
        }
    }

    /// In fsync mode, waits up to `flush_wait_us_max` for `flush_bytes_min` bytes to gather, so
    /// appends that arrive a few microseconds apart share one fsync.
    fn gather(&self, p: &mut parking_lot::MutexGuard<'_, Pending>) {
        let opts = &self.shared.opts;
        if opts.mode != SyncMode::Fsync || opts.flush_wait_us_max == 0 {
            return;
        }
        let deadline = Instant::now() + Duration::from_micros(opts.flush_wait_us_max);
        p.gathering = true;
        while (p.buf.len() as u64) < opts.flush_bytes_min && !p.closing && p.failure.is_none() {
            if self.shared.work_cv.wait_until(p, deadline).timed_out() {
                break;
            }
        }
        p.gathering = false;
    }

    fn take(&mut self, p: &mut Pending) -> Batch {
        let last_lsn = p.next_lsn - 1;
        assert!(last_lsn >= self.taken_lsn);
        let buf = std::mem::replace(&mut p.buf, std::mem::take(&mut self.spare));
        let rotations = std::mem::take(&mut p.rotations);
        if p.space_waiters > 0 {
            self.shared.space_cv.notify_all();
        }
        let batch = Batch {
            buf,
            start: 0,
            next_lsn: self.taken_lsn + 1,
            last_lsn,
            rotations,
            rotation_index: 0,
        };
        self.taken_lsn = last_lsn;
        batch
    }

    fn commit(&mut self, mut batch: Batch) {
        verify_batch(&batch);
        if let Err(e) = self.write_batch(&mut batch) {
            self.fail(&e, Some(batch));
            return;
        }
        self.shared.counters.commits.fetch_add(1, Ordering::Relaxed);
        let sync_now = match self.relaxed_interval() {
            Some(interval) => self.last_sync.elapsed() >= interval,
            None => true,
        };
        if sync_now {
            if let Err(e) = self.sync_segment() {
                self.fail(&WriteError::fatal(e), None);
                return;
            }
        }
        // In relaxed mode a written record counts as durable; see `SyncMode::Relaxed`.
        self.publish(self.written_lsn);
        let mut buf = batch.buf;
        buf.clear();
        if self.spare.capacity() < buf.capacity() {
            self.spare = buf;
        }
    }

    /// Writes the unwritten part of `batch`, starting new segments at checkpoint boundaries
    /// and whenever the current one would pass `segment_bytes_max`.
    fn write_batch(&mut self, b: &mut Batch) -> Result<(), WriteError> {
        loop {
            if let Some(&(offset, lsn)) = b.rotations.get(b.rotation_index) {
                if offset == b.start {
                    assert_eq!(lsn, b.next_lsn);
                    self.rotate(lsn).map_err(WriteError::fatal)?;
                    b.rotation_index += 1;
                    continue;
                }
            }
            if b.start == b.buf.len() {
                return Ok(());
            }
            // Move to a zero-filled segment as soon as one is ready (after an open, the first
            // segment is appended to); rotation is allowed at any record boundary.
            if !self.preallocated
                && self.segment_records > 0
                && self.next_segment.as_mut().is_some_and(Spare::ready)
            {
                self.rotate(b.next_lsn).map_err(WriteError::fatal)?;
                continue;
            }
            let limit = b
                .rotations
                .get(b.rotation_index)
                .map_or(b.buf.len(), |r| r.0);
            let room = self
                .shared
                .opts
                .segment_bytes_max
                .saturating_sub(self.segment_len);
            let (end, records) =
                take_frames(&b.buf, b.start, limit, room, self.segment_records == 0);
            if records == 0 {
                self.rotate(b.next_lsn).map_err(WriteError::fatal)?;
                continue;
            }
            let bytes = &b.buf[b.start..end];
            self.shared.counters.writes.fetch_add(1, Ordering::Relaxed);
            self.segment
                .write_at(self.segment_len, bytes)
                .map_err(WriteError::from_write)?;
            let counters = &self.shared.counters;
            counters
                .bytes_written
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            counters
                .disk_bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            self.segment_len += bytes.len() as u64;
            self.segment_records += records;
            b.start = end;
            b.next_lsn += records;
            self.written_lsn = b.next_lsn - 1;
        }
    }

    /// Closes the current segment and starts one at `lsn`. The old segment is fully durable
    /// before the new one exists, so only the last segment can ever hold a torn tail.
    fn rotate(&mut self, lsn: Lsn) -> io::Result<()> {
        assert_eq!(lsn, self.written_lsn + 1);
        if self.segment_records > 0 {
            // Before it stops being the last segment.
            self.cut_zero_tail()?;
            self.sync_segment()?;
            let name = segment_name(lsn);
            let preallocated = self.next_segment.as_mut().is_some_and(Spare::ready);
            let segment = if preallocated {
                self.next_segment = None;
                self.fs.rename(SPARE_NAME, &name)?;
                self.fs.open(&name)?
            } else {
                self.fs.create(&name)?
            };
            segment.write_at(0, &encode_segment_header(lsn))?;
            segment.sync()?;
            self.fs.sync_dir()?;
            self.count_fsyncs(2);
            self.segment = segment;
            self.preallocated = preallocated;
            self.start_spare();
            self.segment_first_lsn = lsn;
            self.segment_len = SEGMENT_HEADER_BYTES;
            self.segment_synced_len = SEGMENT_HEADER_BYTES;
            self.segment_records = 0;
            let counters = &self.shared.counters;
            counters.segments.fetch_add(1, Ordering::Relaxed);
            counters
                .disk_bytes
                .fetch_add(SEGMENT_HEADER_BYTES, Ordering::Relaxed);
        }
        assert_eq!(self.segment_first_lsn, lsn);
        self.shared.rotated_through.fetch_max(lsn, Ordering::AcqRel);
        self.shared.notify_waiters();
        Ok(())
    }

    fn count_fsyncs(&self, n: u64) {
        self.shared.counters.fsyncs.fetch_add(n, Ordering::Relaxed);
    }

    fn sync_segment(&mut self) -> io::Result<()> {
        if self.segment_synced_len == self.segment_len {
            self.synced_lsn = self.written_lsn;
            return Ok(());
        }
        let started = Instant::now();
        self.segment.sync()?;
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let counters = &self.shared.counters;
        counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        counters.fsync_ns_total.fetch_add(ns, Ordering::Relaxed);
        counters.fsync_ns_max.fetch_max(ns, Ordering::Relaxed);
        self.segment_synced_len = self.segment_len;
        self.synced_lsn = self.written_lsn;
        self.last_sync = Instant::now();
        Ok(())
    }

    fn sync_relaxed(&mut self) {
        if let Err(e) = self.sync_segment() {
            self.fail(&WriteError::fatal(e), None);
        }
    }

    /// Advances the durable Lsn and tells everyone.
    fn publish(&self, lsn: Lsn) {
        let previous = self.shared.durable.fetch_max(lsn, Ordering::AcqRel);
        assert!(previous <= lsn);
        if previous == lsn {
            return;
        }
        self.shared.notify_waiters();
        let callback = self.shared.on_durable.read().clone();
        if let Some(f) = callback {
            f(lsn);
        }
    }

    /// Records the first failure (sticky) and wakes everyone who waits.
    fn fail(&mut self, e: &WriteError, stalled: Option<Batch>) {
        self.stalled = if e.retriable { stalled } else { None };
        {
            let mut p = self.shared.pending.lock();
            if p.failure.is_none() {
                let message = e.error.to_string();
                p.failure = Some(Failure {
                    message,
                    retriable: e.retriable,
                });
            }
            self.shared.failed.store(true, Ordering::Release);
            self.shared.space_cv.notify_all();
        }
        self.shared.notify_waiters();
    }

    /// After `retry_after_error`: cut off the partial write, then redo the stalled batch.
    fn retry(&mut self) {
        assert!(self.segment_len >= self.segment_synced_len);
        // This also drops a zero-filled tail: the segment is appended to from here on.
        self.preallocated = false;
        if let Err(e) = self.segment.set_len(self.segment_len) {
            self.fail(&WriteError::fatal(e), None);
            return;
        }
        if let Some(batch) = self.stalled.take() {
            self.commit(batch);
        }
    }
}

/// From `start`, the end offset and count of the whole frames before `limit` that fit in
/// `room` bytes; at least one frame when `force_one` (an empty segment takes any record).
fn take_frames(buf: &[u8], start: usize, limit: usize, room: u64, force_one: bool) -> (usize, u64) {
    let mut at = start;
    let mut records = 0u64;
    while at < limit {
        let len = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
        let frame = RECORD_HEADER_LEN + len as usize;
        if (at + frame - start) as u64 > room && !(records == 0 && force_one) {
            break;
        }
        at += frame;
        records += 1;
    }
    assert!(at <= limit);
    (at, records)
}

/// Pair assertion, write side: every frame about to hit the disk decodes, and the frames
/// account for exactly the batch's Lsns; rotation points fall on frame boundaries.
fn verify_batch(b: &Batch) {
    let mut at = b.start;
    let mut lsn = b.next_lsn;
    let mut rotations = b.rotations[b.rotation_index..].iter().peekable();
    while at < b.buf.len() {
        while let Some(&&(offset, r_lsn)) = rotations.peek() {
            if offset != at {
                break;
            }
            assert_eq!(r_lsn, lsn, "rotation point must name the next record");
            rotations.next();
        }
        let (_, end) = decode_record(&b.buf, at).expect("framed record must verify before write");
        at = end;
        lsn += 1;
    }
    assert_eq!(at, b.buf.len());
    assert_eq!(lsn, b.last_lsn + 1, "batch frames must match its Lsn range");
    assert!(rotations.all(|&(offset, r_lsn)| offset == at && r_lsn == lsn));
}
