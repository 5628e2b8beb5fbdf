//! Sluice's write-ahead log.
//!
//! A directory of segment files `wal-<20-digit first lsn>.log`, each a 32-byte header followed
//! by length-prefixed, CRC-32C-checksummed records, plus at most one live snapshot
//! `snap-<20-digit boundary lsn>.snap`. Appends go to an in-memory buffer; one writer thread
//! group-commits them (one write, one fdatasync for everything pending) and publishes the new
//! durable Lsn. Write failures are sticky. Recovery is the newest snapshot plus every record
//! at or after its boundary; a torn tail is cut, anything else damaged is `WalError::Corrupt`.
//!
//! The design, byte tables and the group-commit arithmetic are in `docs/design/wal.md`.

// Every fallible fn returns the one `WalError`, whose variants document themselves; panics are
// assertions on invariants (programmer errors), never on input. Per-fn sections would repeat
// both on 30 functions.
#![allow(clippy::missing_errors_doc, clippy::missing_panics_doc)]

mod error;
pub mod record;
mod recovery;
mod spare;
pub mod storage;
pub mod testing;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, RwLock};

pub use error::WalError;
pub use record::{RECORD_PAYLOAD_BYTES_MAX, SNAPSHOT_PART_BYTES_MAX};
pub use storage::{DirFs, FileStorage, Fs, MemFs, MemStorage, Storage};

use record::{encode_record_into, encode_segment_header, record_crc, segment_name, snapshot_name};
use writer::{Counters, Pending, Shared, Writer, WriterStart};

/// Log sequence number: the 1-based index of an appended record. Monotonic across restarts.
/// Lsn 0 means "no record".
pub type Lsn = u64;

/// How far the writer thread may wait, after the first pending append, for more appends to
/// share its fsync. `fdatasync` of a small append costs ~150 us on this VM's virtio disk and
/// 20-100 us on fast SSDs; waiting a third of that costs a lone writer little latency, and lets a
/// burst from several HTTP worker threads (which finish requests microseconds apart) land in
/// one commit instead of two. Above ~200 us the wait dominates a lone client's latency.
pub const FLUSH_WAIT_US_MAX: u64 = 50;

/// Stop gathering once this many bytes are pending: 64 KiB is ~400 typical 150-byte records.
/// Beyond that a batch already amortizes its fsync over hundreds of records, and on virtio/NVMe
/// the transfer time of a larger write starts to add to the fsync itself, so waiting longer
/// buys nothing.
pub const FLUSH_BYTES_MIN: u64 = 64 * 1024;

/// Appenders block (backpressure) while this many bytes wait for the writer. 64 MiB is about
/// 0.3 s of writing at 200 MB/s: a disk that falls that far behind is overloaded, and memory
/// for pending records must stay bounded.
pub const PENDING_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Segment size at which the writer starts a new segment (a soft limit: a single record larger
/// than a segment still gets one). 64 MiB keeps file counts small at high rates, and bounds
/// recovery memory (one segment is read at a time) and the work a checkpoint can free.
pub const SEGMENT_BYTES_MAX_DEFAULT: u64 = 64 * 1024 * 1024;

const _: () = assert!(FLUSH_WAIT_US_MAX <= 200);
const _: () = assert!(FLUSH_BYTES_MIN < PENDING_BYTES_MAX);
const _: () = assert!(RECORD_PAYLOAD_BYTES_MAX < PENDING_BYTES_MAX);

/// When an append counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Durable = written and fdatasync'ed. A crash loses nothing that `durable_lsn` covers.
    Fsync,
    /// Durable = written to the file (the OS page cache); fdatasync at most every
    /// `interval_ms`, and within `interval_ms` of the last write. A process crash loses
    /// nothing; an OS crash or power loss can lose up to `interval_ms` of acknowledged appends.
    Relaxed { interval_ms: u64 },
    /// No files. `append` returns increasing Lsns and `durable_lsn()` equals the last one
    /// immediately; the on-durable callback is never called (nothing is ever pending).
    Memory,
}

/// Options for `Wal::open`. `WalOptions::new(mode)` fills in the defaults.
#[derive(Debug, Clone)]
pub struct WalOptions {
    pub mode: SyncMode,
    pub segment_bytes_max: u64,
    pub flush_wait_us_max: u64,
    pub flush_bytes_min: u64,
    pub pending_bytes_max: u64,
    /// Fsync mode: append into segments zero-filled in advance by a background thread, so
    /// each fdatasync flushes data only (see `spare`). Off by default (tests that count
    /// syncs or crash at each one see only the writer's own I/O).
    pub preallocate: bool,
}

impl WalOptions {
    #[must_use]
    pub fn new(mode: SyncMode) -> Self {
        WalOptions {
            mode,
            segment_bytes_max: SEGMENT_BYTES_MAX_DEFAULT,
            flush_wait_us_max: FLUSH_WAIT_US_MAX,
            flush_bytes_min: FLUSH_BYTES_MIN,
            pending_bytes_max: PENDING_BYTES_MAX,
            preallocate: false,
        }
    }
}

impl Default for WalOptions {
    fn default() -> Self {
        Self::new(SyncMode::Fsync)
    }
}

/// One item handed to the replay callback: first the snapshot (if any; one item per part it
/// was written in, in order, each checked before any is handed over), then each record after
/// it in Lsn order. Slices borrow the recovery read buffer; copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay<'a> {
    Snapshot { boundary: Lsn, payload: &'a [u8] },
    Record { lsn: Lsn, payload: &'a [u8] },
}

/// What `Wal::open` recovered, collected in memory.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The snapshot's parts, concatenated.
    pub snapshot: Option<Vec<u8>>,
    pub records: Vec<Vec<u8>>,
    /// The last segment had a torn tail, cut at this file and byte offset.
    pub truncated_tail: Option<(PathBuf, u64)>,
    /// The Lsn the next append gets.
    pub next_lsn: Lsn,
}

/// What `Wal::open_replay` recovered, without the payloads (the callback saw them).
#[derive(Debug, Default, Clone)]
pub struct RecoveryInfo {
    /// Boundary of the snapshot: it covers every record with a smaller Lsn.
    pub snapshot_boundary: Option<Lsn>,
    /// Records replayed after the snapshot.
    pub records: u64,
    pub truncated_tail: Option<(PathBuf, u64)>,
    pub next_lsn: Lsn,
    pub segments: u64,
}

/// Result of the offline `check`.
#[derive(Debug, Default, Clone)]
pub struct CheckReport {
    pub snapshot_boundary: Option<Lsn>,
    pub snapshot_bytes: u64,
    pub segments: u64,
    pub records: u64,
    pub next_lsn: Lsn,
    /// A torn tail that `Wal::open` would cut (check never writes).
    pub truncated_tail: Option<(PathBuf, u64)>,
    /// Leftovers (older snapshots, segments before the snapshot, temp files) open would delete.
    pub stale_files: Vec<PathBuf>,
    pub disk_bytes: u64,
}

/// Counters since open.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalStats {
    pub appends: u64,
    pub append_bytes: u64,
    /// Group commits (one write batch each).
    pub commits: u64,
    pub writes: u64,
    pub bytes_written: u64,
    pub fsyncs: u64,
    pub fsync_ns_total: u64,
    pub fsync_ns_max: u64,
    pub segments: u64,
    pub disk_bytes: u64,
    pub last_checkpoint: Lsn,
    pub durable_lsn: Lsn,
    pub next_lsn: Lsn,
    pub failed: bool,
}

/// The boundary chosen by `begin_checkpoint`: the snapshot must cover exactly the records
/// with Lsn < `boundary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct CheckpointToken {
    pub boundary: Lsn,
}

/// A snapshot being written in parts (`Wal::snapshot_writer`). Dropped without
/// `Wal::finish_snapshot`, it removes its temporary file.
pub struct SnapshotWriter {
    token: CheckpointToken,
    file: Option<(Arc<dyn Fs>, String, Box<dyn Storage>)>,
    payload_len: u64,
    payload_crc: u32,
}

impl SnapshotWriter {
    /// Appends one part. Recovery hands it back whole, as one `Replay::Snapshot`, so a part
    /// should end where the caller's own records do. At most `SNAPSHOT_PART_BYTES_MAX` bytes.
    pub fn write_part(&mut self, part: &[u8]) -> Result<(), WalError> {
        assert!(
            part.len() as u64 <= record::SNAPSHOT_PART_BYTES_MAX,
            "snapshot part too large"
        );
        let len = u32::try_from(part.len())
            .expect("bounded by SNAPSHOT_PART_BYTES_MAX")
            .to_le_bytes();
        if let Some((_, _, file)) = &self.file {
            let at = record::SNAPSHOT_HEADER_BYTES + self.payload_len;
            file.write_at(at, &len)?;
            file.write_at(at + 4, part)?;
        }
        self.payload_crc = crc32c::crc32c_append(self.payload_crc, &len);
        self.payload_crc = crc32c::crc32c_append(self.payload_crc, part);
        self.payload_len += 4 + part.len() as u64;
        Ok(())
    }

    /// Bytes written so far, part headers included.
    #[must_use]
    pub fn payload_bytes(&self) -> u64 {
        self.payload_len
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if let Some((fs, tmp, _)) = self.file.take() {
            let _ = fs.remove(&tmp);
        }
    }
}

/// The log. `Send + Sync`; share it behind an `Arc`.
pub struct Wal {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Wal {
    /// Opens (creating) the log in `dir` with an exclusive flock on `dir/LOCK`, replays it and
    /// collects the snapshot and every record after it. For large logs prefer `open_replay`.
    pub fn open(dir: &Path, opts: WalOptions) -> Result<(Wal, Recovered), WalError> {
        let mut recovered = Recovered::default();
        let (wal, info) = Wal::open_replay(dir, opts, |item| match item {
            Replay::Snapshot { payload, .. } => recovered
                .snapshot
                .get_or_insert_with(Vec::new)
                .extend_from_slice(payload),
            Replay::Record { payload, .. } => recovered.records.push(payload.to_vec()),
        })?;
        recovered.truncated_tail = info.truncated_tail;
        recovered.next_lsn = info.next_lsn;
        Ok((wal, recovered))
    }

    /// Opens the log in `dir` like `open`, streaming each recovered item to `on_item` instead
    /// of collecting it: no allocation per record. Validation is streaming too: if `open_replay`
    /// returns an error, discard whatever the callback built.
    pub fn open_replay(
        dir: &Path,
        opts: WalOptions,
        on_item: impl FnMut(Replay<'_>),
    ) -> Result<(Wal, RecoveryInfo), WalError> {
        if opts.mode == SyncMode::Memory {
            return Ok(Wal::memory(opts));
        }
        let fs: Arc<dyn Fs> = Arc::new(DirFs::open_exclusive(dir)?);
        Wal::open_on(fs, opts, on_item)
    }

    /// Opens the log on any `Fs` (tests use `MemFs` and `testing::CrashFs`). Takes no lock.
    pub fn open_on(
        fs: Arc<dyn Fs>,
        opts: WalOptions,
        mut on_item: impl FnMut(Replay<'_>),
    ) -> Result<(Wal, RecoveryInfo), WalError> {
        if opts.mode == SyncMode::Memory {
            return Ok(Wal::memory(opts));
        }
        assert!(opts.segment_bytes_max > record::SEGMENT_HEADER_BYTES);
        let scan = recovery::scan(fs.as_ref(), &mut on_item)?;
        let (start, disk_bytes) = repair(fs.as_ref(), &scan)?;
        let info = RecoveryInfo {
            snapshot_boundary: scan.snapshot.as_ref().map(|s| s.0),
            records: scan.records,
            truncated_tail: scan.truncated_tail.clone(),
            next_lsn: scan.next_lsn,
            segments: scan.segments.len().max(1) as u64,
        };
        let shared = Arc::new(new_shared(opts, Some(fs.clone()), scan.next_lsn));
        shared
            .counters
            .segments
            .store(info.segments, Ordering::Relaxed);
        shared
            .counters
            .disk_bytes
            .store(disk_bytes, Ordering::Relaxed);
        *shared.checkpoint_mu.lock() = info.snapshot_boundary.unwrap_or(0);
        let writer = Writer::new(shared.clone(), fs, start);
        let handle = std::thread::Builder::new()
            .name("sluice-wal-writer".into())
            .spawn(move || Writer::run_guarded(writer))?;
        Ok((
            Wal {
                shared,
                writer: Mutex::new(Some(handle)),
            },
            info,
        ))
    }

    fn memory(opts: WalOptions) -> (Wal, RecoveryInfo) {
        let shared = Arc::new(new_shared(opts, None, 1));
        let info = RecoveryInfo {
            next_lsn: 1,
            ..RecoveryInfo::default()
        };
        (
            Wal {
                shared,
                writer: Mutex::new(None),
            },
            info,
        )
    }

    /// Appends one record to the in-memory buffer and returns its Lsn. Never waits for I/O;
    /// it blocks only while `pending_bytes_max` bytes already wait for the writer.
    pub fn append(&self, payload: &[u8]) -> Result<Lsn, WalError> {
        let len = check_len(payload)?;
        if self.shared.fs.is_none() {
            let mut p = self.shared.pending.lock();
            self.admit(&mut p)?;
            return Ok(self.assign(p, 1, u64::from(len), false));
        }
        let crc = record_crc(len.to_le_bytes(), payload);
        let mut p = self.shared.pending.lock();
        self.admit(&mut p)?;
        let was_empty = p.buf.is_empty();
        encode_record_into(&mut p.buf, payload, crc);
        Ok(self.assign(p, 1, u64::from(len), was_empty))
    }

    /// Appends several records under one lock acquisition; returns the Lsn of the last one
    /// (the Lsn before them if `payloads` is empty).
    pub fn append_batch(&self, payloads: &[&[u8]]) -> Result<Lsn, WalError> {
        let mut small = [0u32; 16];
        let mut large = Vec::new();
        let crcs: &mut [u32] = if payloads.len() <= small.len() {
            &mut small[..payloads.len()]
        } else {
            large.resize(payloads.len(), 0);
            &mut large
        };
        let mut bytes = 0u64;
        for (crc, payload) in crcs.iter_mut().zip(payloads) {
            let len = check_len(payload)?;
            if self.shared.fs.is_some() {
                *crc = record_crc(len.to_le_bytes(), payload);
            }
            bytes += u64::from(len);
        }
        let mut p = self.shared.pending.lock();
        self.admit(&mut p)?;
        let was_empty = p.buf.is_empty();
        if self.shared.fs.is_some() {
            for (crc, payload) in crcs.iter().zip(payloads) {
                encode_record_into(&mut p.buf, payload, *crc);
            }
        }
        Ok(self.assign(p, payloads.len() as u64, bytes, was_empty))
    }

    /// Refuses appends after a failure or close; applies backpressure. Lock must be held.
    fn admit(&self, p: &mut parking_lot::MutexGuard<'_, Pending>) -> Result<(), WalError> {
        loop {
            if p.closing {
                return Err(WalError::Closed);
            }
            if let Some(f) = &p.failure {
                return Err(WalError::PreviousIo {
                    first: f.message.clone(),
                });
            }
            if (p.buf.len() as u64) < self.shared.opts.pending_bytes_max {
                return Ok(());
            }
            p.space_waiters += 1;
            self.shared.space_cv.wait(p);
            p.space_waiters -= 1;
        }
    }

    /// Gives Lsns to `count` records just framed into the buffer and wakes the writer.
    fn assign(
        &self,
        mut p: parking_lot::MutexGuard<'_, Pending>,
        count: u64,
        bytes: u64,
        was_empty: bool,
    ) -> Lsn {
        let last = p.next_lsn + count - 1;
        p.next_lsn += count;
        p.appends += count;
        p.append_bytes += bytes;
        if self.shared.fs.is_none() {
            self.shared.durable.store(last, Ordering::Release);
            return last;
        }
        let crossed = p.gathering && p.buf.len() as u64 >= self.shared.opts.flush_bytes_min;
        let wake = (was_empty && count > 0) || crossed;
        if crossed {
            p.gathering = false;
        }
        drop(p);
        if wake {
            self.shared.work_cv.notify_one();
        }
        last
    }

    /// The highest Lsn that is durable (see `SyncMode` for what durable means per mode).
    #[must_use]
    pub fn durable_lsn(&self) -> Lsn {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// Blocks until `durable_lsn() >= lsn`, or fails with `PreviousIo` (the log failed) or
    /// `Closed`. `lsn` must have been returned by an append.
    pub fn wait_durable(&self, lsn: Lsn) -> Result<(), WalError> {
        if self.durable_lsn() >= lsn {
            return Ok(());
        }
        assert!(
            lsn < self.shared.pending.lock().next_lsn,
            "wait_durable on an unassigned lsn"
        );
        self.wait_until(|| self.durable_lsn() >= lsn)
    }

    /// Blocks on the writer's progress until `done()`, or until the log failed or closed.
    fn wait_until(&self, done: impl Fn() -> bool) -> Result<(), WalError> {
        let mut g = self.shared.durable_mu.lock();
        loop {
            if done() {
                return Ok(());
            }
            if self.shared.failed.load(Ordering::Acquire) {
                drop(g);
                return Err(self.previous_io());
            }
            if self.shared.closed.load(Ordering::Acquire) {
                return Err(WalError::Closed);
            }
            self.shared.durable_cv.wait(&mut g);
        }
    }

    fn previous_io(&self) -> WalError {
        let p = self.shared.pending.lock();
        let first = p
            .failure
            .as_ref()
            .map_or_else(|| "retried".to_string(), |f| f.message.clone());
        WalError::PreviousIo { first }
    }

    /// Registers the callback the writer thread calls after each group commit with the new
    /// durable Lsn. It runs on the writer thread between commits: it must be quick, must not
    /// block, and must not take any lock that is held around `append` (push to a completion
    /// queue instead). A waiter registered after an append must also check `durable_lsn()`
    /// once, because the callback for its Lsn may already have run. Never called in Memory mode.
    pub fn set_on_durable(&self, f: Box<dyn Fn(Lsn) + Send + Sync>) {
        *self.shared.on_durable.write() = Some(Arc::from(f));
    }

    /// Starts a checkpoint at the current end of the log: the writer starts a new segment at
    /// the returned boundary. Call it while appends are stopped, so the snapshot you then
    /// build covers exactly the records before the boundary. Never blocks on I/O.
    pub fn begin_checkpoint(&self) -> Result<CheckpointToken, WalError> {
        let mut p = self.shared.pending.lock();
        if p.closing {
            return Err(WalError::Closed);
        }
        if let Some(f) = &p.failure {
            return Err(WalError::PreviousIo {
                first: f.message.clone(),
            });
        }
        let boundary = p.next_lsn;
        if self.shared.fs.is_some() && p.rotations.last().is_none_or(|r| r.1 != boundary) {
            let offset = p.buf.len();
            p.rotations.push((offset, boundary));
            drop(p);
            self.shared.work_cv.notify_one();
        }
        Ok(CheckpointToken { boundary })
    }

    /// Writes the snapshot for `token` atomically (temp file, fsync, rename, fsync directory),
    /// then deletes the segments and snapshots it supersedes. Waits for the writer to have
    /// started the boundary segment. A failure here leaves the log as it was (not sticky).
    pub fn finish_checkpoint(
        &self,
        token: CheckpointToken,
        snapshot: &[u8],
    ) -> Result<(), WalError> {
        let mut w = self.snapshot_writer(token)?;
        w.write_part(snapshot)?;
        self.finish_snapshot(w)
    }

    /// Starts writing the snapshot for `token` in parts (`SnapshotWriter::write_part`), so
    /// state larger than memory can be written: the parts go to a temporary file as they come,
    /// and `finish_snapshot` makes it the snapshot. Recovery hands each part back to the replay
    /// callback as one `Replay::Snapshot`, in order.
    pub fn snapshot_writer(&self, token: CheckpointToken) -> Result<SnapshotWriter, WalError> {
        let file = match &self.shared.fs {
            None => None,
            Some(fs) => {
                // Unique: two checkpoints with no append between them share a boundary, and
                // the second must not truncate the first's file while it is being written.
                static SEQ: AtomicU64 = AtomicU64::new(0);
                let n = SEQ.fetch_add(1, Ordering::Relaxed);
                let tmp = format!(
                    "{}.{n}{}",
                    snapshot_name(token.boundary),
                    record::TMP_SUFFIX
                );
                let storage = fs.create(&tmp)?;
                Some((fs.clone(), tmp, storage))
            }
        };
        Ok(SnapshotWriter {
            token,
            file,
            payload_len: 0,
            payload_crc: 0,
        })
    }

    /// Makes a snapshot written with `snapshot_writer` the log's snapshot (see `finish_checkpoint`).
    pub fn finish_snapshot(&self, mut w: SnapshotWriter) -> Result<(), WalError> {
        let mut last = self.shared.checkpoint_mu.lock();
        let boundary = w.token.boundary;
        if boundary < *last {
            return Err(WalError::CheckpointSuperseded {
                boundary,
                last: *last,
            });
        }
        let Some((fs, tmp, file)) = w.file.take() else {
            *last = boundary;
            return Ok(());
        };
        let removed = |e: WalError| {
            let _ = fs.remove(&tmp);
            e
        };
        self.wait_rotated(boundary).map_err(removed)?;
        let header = record::SnapshotHeader {
            boundary,
            version: record::SNAPSHOT_VERSION_PARTS,
            payload_len: w.payload_len,
            payload_crc: w.payload_crc,
        };
        let written = record::SNAPSHOT_HEADER_BYTES + w.payload_len;
        let freed = publish_snapshot(fs.as_ref(), &tmp, file.as_ref(), &header, written)?;
        let counters = &self.shared.counters;
        counters
            .segments
            .fetch_sub(freed.segments, Ordering::Relaxed);
        counters.disk_bytes.fetch_add(written, Ordering::Relaxed);
        let shrink = |v: u64| Some(v.saturating_sub(freed.bytes));
        let _ = counters
            .disk_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, shrink);
        *last = boundary;
        Ok(())
    }

    fn wait_rotated(&self, boundary: Lsn) -> Result<(), WalError> {
        self.wait_until(|| self.shared.rotated_through.load(Ordering::Acquire) >= boundary)
    }

    /// After a failed write for lack of space (ENOSPC/EDQUOT), once the operator freed space:
    /// clears the sticky error; the writer cuts the partial write off the segment and rewrites
    /// the failed batch (same Lsns), then goes on. Appenders that were told `PreviousIo` may
    /// thus still see their record become durable (at-least-once). Any other failure (a failed
    /// fsync, above all) stays sticky: close the log and reopen it. Returns at once; use
    /// `wait_durable` to learn whether the rewrite worked.
    pub fn retry_after_error(&self) -> Result<(), WalError> {
        let mut p = self.shared.pending.lock();
        match &p.failure {
            None => Ok(()),
            Some(f) if !f.retriable => Err(WalError::PreviousIo {
                first: f.message.clone(),
            }),
            Some(_) => {
                p.failure = None;
                p.retry = true;
                self.shared.failed.store(false, Ordering::Release);
                drop(p);
                self.shared.work_cv.notify_one();
                Ok(())
            }
        }
    }

    /// Counters since open.
    #[must_use]
    pub fn stats(&self) -> WalStats {
        let (appends, append_bytes, next_lsn, failed) = {
            let p = self.shared.pending.lock();
            (p.appends, p.append_bytes, p.next_lsn, p.failure.is_some())
        };
        let c: &Counters = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WalStats {
            appends,
            append_bytes,
            commits: get(&c.commits),
            writes: get(&c.writes),
            bytes_written: get(&c.bytes_written),
            fsyncs: get(&c.fsyncs),
            fsync_ns_total: get(&c.fsync_ns_total),
            fsync_ns_max: get(&c.fsync_ns_max),
            segments: get(&c.segments),
            disk_bytes: get(&c.disk_bytes),
            last_checkpoint: *self.shared.checkpoint_mu.lock(),
            durable_lsn: self.durable_lsn(),
            next_lsn,
            failed,
        }
    }

    /// Flushes everything appended, fsyncs, and stops the writer thread.
    pub fn close(self) -> Result<(), WalError> {
        self.shutdown()
    }

    /// `close` for a log shared behind an `Arc`: idempotent; appends fail with `Closed` after.
    pub fn shutdown(&self) -> Result<(), WalError> {
        self.shared.pending.lock().closing = true;
        self.shared.work_cv.notify_all();
        self.shared.space_cv.notify_all();
        let handle = self.writer.lock().take();
        if let Some(handle) = handle {
            if handle.join().is_err() {
                return Err(WalError::PreviousIo {
                    first: "writer thread panicked".into(),
                });
            }
        }
        self.shared.closed.store(true, Ordering::Release);
        self.shared.notify_waiters();
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(self.previous_io());
        }
        Ok(())
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn check_len(payload: &[u8]) -> Result<u32, WalError> {
    let len = payload.len() as u64;
    if len > RECORD_PAYLOAD_BYTES_MAX {
        return Err(WalError::RecordTooLarge {
            len,
            max: RECORD_PAYLOAD_BYTES_MAX,
        });
    }
    Ok(u32::try_from(len).expect("bounded by RECORD_PAYLOAD_BYTES_MAX"))
}

fn new_shared(opts: WalOptions, fs: Option<Arc<dyn Fs>>, next_lsn: Lsn) -> Shared {
    let pending = Pending {
        buf: Vec::new(),
        next_lsn,
        rotations: Vec::new(),
        closing: false,
        failure: None,
        retry: false,
        gathering: false,
        space_waiters: 0,
        appends: 0,
        append_bytes: 0,
    };
    Shared {
        opts,
        fs,
        pending: Mutex::new(pending),
        work_cv: Condvar::new(),
        space_cv: Condvar::new(),
        durable: AtomicU64::new(next_lsn - 1),
        rotated_through: AtomicU64::new(0),
        failed: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        durable_mu: Mutex::new(()),
        durable_cv: Condvar::new(),
        on_durable: RwLock::new(None),
        counters: Counters::default(),
        checkpoint_mu: Mutex::new(0),
    }
}

/// Applies what the scan decided: delete stale files, cut a torn tail, rewrite a torn header,
/// make sure a segment exists to append to. Returns the writer's start and the bytes on disk.
fn repair(fs: &dyn Fs, scan: &recovery::Scan) -> Result<(WriterStart, u64), WalError> {
    let mut dir_dirty = false;
    for name in &scan.stale {
        fs.remove(name)?;
        dir_dirty = true;
    }
    let mut disk_bytes = scan.snapshot.as_ref().map_or(0, |s| s.2);
    for seg in &scan.segments {
        disk_bytes += seg.valid_len.max(record::SEGMENT_HEADER_BYTES);
    }
    let start = match scan.segments.last() {
        Some(seg) if !seg.header_torn => {
            let segment = fs.open(&seg.name)?;
            if seg.valid_len < seg.file_len {
                segment.set_len(seg.valid_len)?;
                segment.sync()?;
            }
            WriterStart {
                segment,
                first_lsn: seg.first_lsn,
                len: seg.valid_len,
                records: seg.records,
                last_lsn: scan.next_lsn - 1,
            }
        }
        _ => {
            if scan.segments.is_empty() {
                disk_bytes += record::SEGMENT_HEADER_BYTES;
            }
            dir_dirty = false;
            let segment = create_segment(fs, scan.next_lsn)?;
            WriterStart {
                segment,
                first_lsn: scan.next_lsn,
                len: record::SEGMENT_HEADER_BYTES,
                records: 0,
                last_lsn: scan.next_lsn - 1,
            }
        }
    };
    if dir_dirty {
        fs.sync_dir()?;
    }
    Ok((start, disk_bytes))
}

/// Creates a segment whose first record will be `first_lsn`: header written and durable, and
/// its directory entry durable, before any record goes in.
fn create_segment(fs: &dyn Fs, first_lsn: Lsn) -> Result<Box<dyn Storage>, WalError> {
    let segment = fs.create(&segment_name(first_lsn))?;
    segment.write_at(0, &encode_segment_header(first_lsn))?;
    segment.sync()?;
    fs.sync_dir()?;
    Ok(segment)
}

struct Freed {
    segments: u64,
    bytes: u64,
}

/// Writes `snap-<boundary>.snap` atomically, then removes what it supersedes.
/// Header, fsync, rename, fsync the directory: the temporary file becomes the snapshot. Then
/// deletes what it supersedes.
fn publish_snapshot(
    fs: &dyn Fs,
    tmp: &str,
    file: &dyn Storage,
    header: &record::SnapshotHeader,
    file_len: u64,
) -> Result<Freed, WalError> {
    let boundary = header.boundary;
    let name = snapshot_name(boundary);
    let written = (|| -> std::io::Result<()> {
        file.write_at(0, &header.encode())?;
        file.sync()?;
        // Pair assertion: what landed in the file has the length the header promises.
        assert_eq!(file.len()?, file_len);
        fs.rename(tmp, &name)?;
        fs.sync_dir()
    })();
    if let Err(e) = written {
        let _ = fs.remove(tmp);
        return Err(e.into());
    }
    let mut freed = Freed {
        segments: 0,
        bytes: 0,
    };
    for other in fs.list()? {
        let old_segment = record::parse_segment_name(&other).is_some_and(|lsn| lsn < boundary);
        let old_snapshot = record::parse_snapshot_name(&other).is_some_and(|lsn| lsn < boundary);
        if old_segment || old_snapshot {
            freed.bytes += fs.open(&other).and_then(|f| f.len()).unwrap_or(0);
            fs.remove(&other)?;
            freed.segments += u64::from(old_segment);
        }
    }
    fs.sync_dir()?;
    Ok(freed)
}

/// Offline integrity check for `sluice check DATA_DIR`: the same validation as `open`, read
/// only, under a shared lock (fails with `Locked` while a broker has the log open).
pub fn check(dir: &Path) -> Result<CheckReport, WalError> {
    let fs = DirFs::open_shared(dir)?;
    check_on(&fs)
}

/// `check` on any `Fs`.
pub fn check_on(fs: &dyn Fs) -> Result<CheckReport, WalError> {
    let scan = recovery::scan(fs, &mut |_| {})?;
    let disk_bytes = scan.snapshot.as_ref().map_or(0, |s| s.2)
        + scan.segments.iter().map(|s| s.file_len).sum::<u64>();
    Ok(CheckReport {
        snapshot_boundary: scan.snapshot.as_ref().map(|s| s.0),
        snapshot_bytes: scan.snapshot.as_ref().map_or(0, |s| s.2),
        segments: scan.segments.len() as u64,
        records: scan.records,
        next_lsn: scan.next_lsn,
        truncated_tail: scan.truncated_tail,
        stale_files: scan.stale.iter().map(|n| fs.path_of(n)).collect(),
        disk_bytes,
    })
}
