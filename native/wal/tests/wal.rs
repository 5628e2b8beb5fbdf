//! The log on real files: roundtrip, recovery errors, checkpoints, group commit, locking, modes.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{payload, segment_files, TempDir};
use sluice_wal::record::SEGMENT_HEADER_BYTES;
use sluice_wal::{check, Replay, SyncMode, Wal, WalError, WalOptions};

fn fsync_opts() -> WalOptions {
    WalOptions::new(SyncMode::Fsync)
}

fn small_segments() -> WalOptions {
    WalOptions {
        segment_bytes_max: 4096,
        ..fsync_opts()
    }
}

/// Appends `range` payloads and waits for them.
fn fill(wal: &Wal, range: std::ops::Range<u64>) {
    let mut last = 0;
    for i in range {
        last = wal.append(&payload(i)).unwrap();
        assert_eq!(last, i + 1);
    }
    wal.wait_durable(last).unwrap();
}

#[test]
fn roundtrip_across_reopen() {
    let dir = TempDir::new("roundtrip");
    let (wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert!(rec.records.is_empty() && rec.snapshot.is_none());
    assert_eq!(rec.next_lsn, 1);
    fill(&wal, 0..100);
    let batch: Vec<Vec<u8>> = (100..110).map(payload).collect();
    let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
    assert_eq!(wal.append_batch(&refs).unwrap(), 110);
    wal.close().unwrap();

    let (wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert_eq!(rec.next_lsn, 111);
    assert_eq!(rec.truncated_tail, None);
    assert_eq!(rec.records, (0..110).map(payload).collect::<Vec<_>>());
    assert_eq!(wal.append(b"after").unwrap(), 111);
    wal.close().unwrap();
    let (_wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert_eq!(rec.records.last().unwrap(), b"after");
}

#[test]
fn many_segments_replay_in_order() {
    let dir = TempDir::new("segments");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    fill(&wal, 0..500);
    let stats = wal.stats();
    wal.close().unwrap();
    let files = segment_files(dir.path());
    assert!(
        files.len() > 10,
        "expected rotation, got {} segments",
        files.len()
    );
    assert_eq!(stats.segments, files.len() as u64);
    for f in &files {
        // Soft limit: a segment passes 4096 bytes only by less than one record.
        assert!(std::fs::metadata(f).unwrap().len() <= 4096 + 8 + 200);
    }
    let (_wal, rec) = Wal::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.records, (0..500).map(payload).collect::<Vec<_>>());
    assert_eq!(rec.next_lsn, 501);
}

#[test]
fn torn_tail_is_truncated() {
    let dir = TempDir::new("torn");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    fill(&wal, 0..20);
    wal.close().unwrap();
    let seg = segment_files(dir.path()).pop().unwrap();
    let full = std::fs::metadata(&seg).unwrap().len();
    // Cut the last record in half, then add zeros as a filesystem might after a crash.
    let last_len = payload(19).len() as u64 + 8;
    let cut = full - last_len / 2;
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(cut).unwrap();
    f.set_len(cut + 4096).unwrap();
    drop(f);

    let report = check(dir.path()).unwrap();
    assert_eq!(report.records, 19);
    assert_eq!(report.truncated_tail, Some((seg.clone(), full - last_len)));

    let (wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert_eq!(rec.truncated_tail, Some((seg.clone(), full - last_len)));
    assert_eq!(rec.records, (0..19).map(payload).collect::<Vec<_>>());
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), full - last_len);
    // The cut record's Lsn is reused: it was never acknowledged.
    assert_eq!(wal.append(b"x").unwrap(), 20);
}

fn file_names(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn flip_byte(path: &std::path::Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[usize::try_from(offset).unwrap()] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn flipped_byte_mid_last_segment_is_corrupt_with_offset() {
    let dir = TempDir::new("flip-last");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    fill(&wal, 0..50);
    wal.close().unwrap();
    let seg = segment_files(dir.path()).pop().unwrap();
    // Record 10 starts after the header and records 0..10.
    let offset: u64 =
        SEGMENT_HEADER_BYTES + (0..10).map(|i| payload(i).len() as u64 + 8).sum::<u64>();
    flip_byte(&seg, offset + 8 + 3);
    match Wal::open(dir.path(), fsync_opts()) {
        Err(WalError::Corrupt {
            file,
            offset: at,
            reason,
        }) => {
            assert_eq!(file, seg);
            assert_eq!(at, offset);
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
    }
    assert!(matches!(check(dir.path()), Err(WalError::Corrupt { .. })));
}

#[test]
fn flipped_length_mid_segment_is_corrupt_not_truncated() {
    let dir = TempDir::new("flip-len");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    fill(&wal, 0..50);
    wal.close().unwrap();
    let seg = segment_files(dir.path()).pop().unwrap();
    let offset: u64 =
        SEGMENT_HEADER_BYTES + (0..5).map(|i| payload(i).len() as u64 + 8).sum::<u64>();
    flip_byte(&seg, offset + 3); // the length's high byte: points far past the end
    match Wal::open(dir.path(), fsync_opts()) {
        Err(WalError::Corrupt { offset: at, .. }) => assert_eq!(at, offset),
        other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn damage_in_a_non_last_segment_is_corrupt() {
    let dir = TempDir::new("flip-old");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    fill(&wal, 0..200);
    wal.close().unwrap();
    let files = segment_files(dir.path());
    let first = &files[0];
    // Even a "torn-looking" tail in an older segment is corruption: it was fully synced.
    let len = std::fs::metadata(first).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(first).unwrap();
    f.set_len(len - 3).unwrap();
    drop(f);
    match Wal::open(dir.path(), small_segments()) {
        Err(WalError::Corrupt { file, .. }) => assert_eq!(&file, first),
        other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn missing_segment_is_corrupt() {
    let dir = TempDir::new("gap");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    fill(&wal, 0..200);
    wal.close().unwrap();
    let files = segment_files(dir.path());
    assert!(files.len() >= 3);
    std::fs::remove_file(&files[1]).unwrap();
    match Wal::open(dir.path(), small_segments()) {
        Err(WalError::Corrupt { file, reason, .. }) => {
            assert_eq!(file, files[2]);
            assert!(reason.contains("missing segment"), "{reason}");
        }
        other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
    }
    // Losing the first segment (no snapshot covers it) is also a gap.
    let dir = TempDir::new("gap-first");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    fill(&wal, 0..200);
    wal.close().unwrap();
    std::fs::remove_file(&segment_files(dir.path())[0]).unwrap();
    assert!(matches!(
        Wal::open(dir.path(), small_segments()),
        Err(WalError::Corrupt { .. })
    ));
}

#[test]
fn checkpoint_then_recovery_equals_full_replay() {
    let dir = TempDir::new("checkpoint");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    // The "state" is the concatenation of payloads; the snapshot is that state at the boundary.
    fill(&wal, 0..300);
    let token = wal.begin_checkpoint().unwrap();
    assert_eq!(token.boundary, 301);
    let snapshot: Vec<u8> = (0..300).flat_map(payload).collect();
    fill(&wal, 300..320); // appends continue while the snapshot is built
    wal.finish_checkpoint(token, &snapshot).unwrap();
    fill(&wal, 320..400);
    let stats = wal.stats();
    assert_eq!(stats.last_checkpoint, 301);
    wal.close().unwrap();

    let files = segment_files(dir.path());
    assert!(
        files[0].ends_with("wal-00000000000000000301.log"),
        "{files:?}"
    );
    let (wal, rec) = Wal::open(dir.path(), small_segments()).unwrap();
    let mut replayed = rec.snapshot.clone().unwrap();
    for r in &rec.records {
        replayed.extend_from_slice(r);
    }
    let full: Vec<u8> = (0..400).flat_map(payload).collect();
    assert_eq!(replayed, full);
    assert_eq!(rec.records.len(), 100);
    assert_eq!(rec.next_lsn, 401);

    // A second checkpoint replaces the first snapshot.
    let token = wal.begin_checkpoint().unwrap();
    wal.finish_checkpoint(token, &full).unwrap();
    let old = wal.finish_checkpoint(sluice_wal::CheckpointToken { boundary: 301 }, b"old");
    assert!(matches!(old, Err(WalError::CheckpointSuperseded { .. })));
    wal.close().unwrap();
    let snaps: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .starts_with("snap-")
        })
        .collect();
    assert_eq!(snaps.len(), 1);
    let (_wal, rec) = Wal::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.snapshot.unwrap(), full);
    assert!(rec.records.is_empty());
    assert_eq!(rec.next_lsn, 401);
}

#[test]
fn checkpoint_on_idle_log_and_report() {
    let dir = TempDir::new("checkpoint-idle");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    let token = wal.begin_checkpoint().unwrap(); // nothing appended yet
    wal.finish_checkpoint(token, b"empty").unwrap();
    fill(&wal, 0..3);
    let token = wal.begin_checkpoint().unwrap();
    wal.finish_checkpoint(token, b"three").unwrap();
    wal.close().unwrap();
    let report = check(dir.path()).unwrap();
    assert_eq!(report.snapshot_boundary, Some(4));
    assert_eq!(report.records, 0);
    assert_eq!(report.next_lsn, 4);
    assert!(report.stale_files.is_empty());
    let (_wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert_eq!(rec.snapshot.as_deref(), Some(&b"three"[..]));
}

#[test]
fn corrupt_snapshot_is_reported() {
    let dir = TempDir::new("snap-corrupt");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    fill(&wal, 0..3);
    let token = wal.begin_checkpoint().unwrap();
    wal.finish_checkpoint(token, b"state").unwrap();
    wal.close().unwrap();
    let snap = dir.path().join("snap-00000000000000000004.snap");
    flip_byte(&snap, 42);
    assert!(
        matches!(Wal::open(dir.path(), fsync_opts()), Err(WalError::Corrupt { file, .. }) if file == snap)
    );
}

#[test]
fn concurrent_appenders_share_fsyncs() {
    let dir = TempDir::new("group");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    let wal = Arc::new(wal);
    let notified = Arc::new(AtomicU64::new(0));
    let n2 = notified.clone();
    wal.set_on_durable(Box::new(move |lsn| {
        n2.fetch_max(lsn, Ordering::Relaxed);
    }));
    let threads = 8;
    let per_thread = 500;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..per_thread {
                    let body = format!("t{t}-{i}");
                    let lsn = wal.append(body.as_bytes()).unwrap();
                    wal.wait_durable(lsn).unwrap();
                    assert!(wal.durable_lsn() >= lsn);
                    mine.push((lsn, body));
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<(u64, String)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let stats = wal.stats();
    let total = threads * per_thread;
    assert_eq!(stats.appends, total);
    assert!(
        stats.fsyncs < stats.appends,
        "fsyncs {} appends {}",
        stats.fsyncs,
        stats.appends
    );
    assert_eq!(wal.durable_lsn(), total);
    Arc::try_unwrap(wal).ok().unwrap().close().unwrap();
    // The callback runs after waiters are woken; once the writer stopped, it saw the end.
    assert_eq!(notified.load(Ordering::Relaxed), total);

    all.sort();
    let lsns: Vec<u64> = all.iter().map(|x| x.0).collect();
    assert_eq!(lsns, (1..=total).collect::<Vec<_>>());
    let (_wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    for (lsn, body) in &all {
        assert_eq!(
            rec.records[usize::try_from(lsn - 1).unwrap()],
            body.as_bytes()
        );
    }
    // Per-thread order: each thread's records appear in the order it appended them.
    for t in 0..threads {
        let prefix = format!("t{t}-");
        let seq: Vec<u64> = rec
            .records
            .iter()
            .filter_map(|r| {
                std::str::from_utf8(r)
                    .unwrap()
                    .strip_prefix(&prefix)?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(seq, (0..per_thread).collect::<Vec<_>>());
    }
}

#[test]
fn second_opener_is_locked_out() {
    let dir = TempDir::new("lock");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert!(matches!(
        Wal::open(dir.path(), fsync_opts()),
        Err(WalError::Locked { .. })
    ));
    assert!(matches!(check(dir.path()), Err(WalError::Locked { .. })));
    // Another process, too: flock(1) with a non-blocking exclusive request fails while held.
    let out = std::process::Command::new("flock")
        .args(["-n", "-x"])
        .arg(dir.path().join("LOCK"))
        .arg("true")
        .status();
    if let Ok(status) = out {
        assert!(!status.success(), "another process took the lock");
    }
    wal.close().unwrap();
    let (_wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
}

#[test]
fn memory_mode_keeps_no_files() {
    let dir = TempDir::new("memory");
    let path = dir.path().join("never-created");
    // A tiny pending limit proves Memory mode buffers nothing.
    let opts = WalOptions {
        pending_bytes_max: 16,
        ..WalOptions::new(SyncMode::Memory)
    };
    let (wal, rec) = Wal::open(&path, opts).unwrap();
    assert_eq!(rec.next_lsn, 1);
    assert_eq!(wal.append(b"a").unwrap(), 1);
    assert_eq!(wal.append_batch(&[b"b", b"c"]).unwrap(), 3);
    assert_eq!(wal.durable_lsn(), 3);
    wal.wait_durable(3).unwrap();
    for i in 0..1000 {
        assert_eq!(wal.append(&payload(i)).unwrap(), 4 + i);
    }
    assert_eq!(wal.durable_lsn(), 1003);
    let token = wal.begin_checkpoint().unwrap();
    wal.finish_checkpoint(token, b"snap").unwrap();
    assert_eq!(wal.stats().appends, 1003);
    wal.close().unwrap();
    assert!(!path.exists());
}

#[test]
fn relaxed_mode_acknowledges_on_write_and_syncs_on_interval() {
    let dir = TempDir::new("relaxed");
    let opts = WalOptions::new(SyncMode::Relaxed { interval_ms: 20 });
    let (wal, _) = Wal::open(dir.path(), opts.clone()).unwrap();
    let started = Instant::now();
    let mut last = 0;
    for i in 0..2000 {
        last = wal.append(&payload(i)).unwrap();
        if i % 100 == 99 {
            wal.wait_durable(last).unwrap();
        }
    }
    wal.wait_durable(last).unwrap();
    let elapsed = started.elapsed();
    // Let the interval pass: the idle writer must fsync what it wrote.
    std::thread::sleep(Duration::from_millis(60));
    let stats = wal.stats();
    let allowed = 2 + u64::try_from(elapsed.as_millis()).unwrap() / 20;
    assert!(
        stats.fsyncs >= 1 && stats.fsyncs <= allowed,
        "{stats:?} in {elapsed:?}"
    );
    wal.close().unwrap();
    let (_wal, rec) = Wal::open(dir.path(), opts).unwrap();
    assert_eq!(rec.records.len(), 2000);
}

#[test]
fn oversized_record_is_rejected() {
    let (wal, _) = Wal::open_on(Arc::new(sluice_wal::MemFs::new()), fsync_opts(), |_| {}).unwrap();
    let big = vec![0u8; usize::try_from(sluice_wal::RECORD_PAYLOAD_BYTES_MAX).unwrap() + 1];
    assert!(matches!(
        wal.append(&big),
        Err(WalError::RecordTooLarge { .. })
    ));
    assert!(matches!(
        wal.append_batch(&[b"ok", &big]),
        Err(WalError::RecordTooLarge { .. })
    ));
    assert_eq!(wal.append(b"ok").unwrap(), 1);
}

#[test]
fn backpressure_bounds_pending_bytes() {
    let opts = WalOptions {
        pending_bytes_max: 1024,
        ..fsync_opts()
    };
    let (wal, _) = Wal::open_on(Arc::new(sluice_wal::MemFs::new()), opts, |_| {}).unwrap();
    let wal = Arc::new(wal);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for i in 0..2000 {
                    last = wal.append(&payload(i)).unwrap();
                }
                wal.wait_durable(last).unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(wal.durable_lsn(), 8000);
}

#[test]
fn use_after_close_fails_cleanly() {
    let (wal, _) = Wal::open_on(Arc::new(sluice_wal::MemFs::new()), fsync_opts(), |_| {}).unwrap();
    let lsn = wal.append(b"a").unwrap();
    wal.shutdown().unwrap();
    assert_eq!(wal.durable_lsn(), lsn);
    assert!(matches!(wal.append(b"b"), Err(WalError::Closed)));
    assert!(matches!(wal.begin_checkpoint(), Err(WalError::Closed)));
    wal.shutdown().unwrap();
}

#[test]
fn stale_files_from_an_interrupted_checkpoint_are_removed() {
    let dir = TempDir::new("stale");
    let (wal, _) = Wal::open(dir.path(), small_segments()).unwrap();
    fill(&wal, 0..100);
    let before = segment_files(dir.path());
    let token = wal.begin_checkpoint().unwrap();
    fill(&wal, 100..110);
    wal.finish_checkpoint(token, b"s").unwrap();
    wal.close().unwrap();
    // Simulate a crash after the snapshot rename but before the old segments were deleted,
    // with a temp snapshot still lying around.
    for f in &before {
        std::fs::write(f, b"leftover, never read").unwrap();
    }
    std::fs::write(
        dir.path().join("snap-00000000000000000999.snap.tmp"),
        b"partial",
    )
    .unwrap();
    let report = check(dir.path()).unwrap();
    assert_eq!(report.stale_files.len(), before.len() + 1);
    let (_wal, rec) = Wal::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.snapshot.as_deref(), Some(&b"s"[..]));
    assert_eq!(rec.records, (100..110).map(payload).collect::<Vec<_>>());
    for f in &before {
        assert!(!f.exists());
    }
}

/// Segments zero-filled in advance (`WalOptions::preallocate`): a crash image read back whole,
/// with no torn tail reported for the zeros; a clean close leaves no zeros and no spare.
#[test]
fn zero_filled_segments_recover_as_the_clean_end_of_the_log() {
    let dir = TempDir::new("prealloc");
    let opts = WalOptions {
        preallocate: true,
        ..small_segments()
    };
    let (wal, _) = Wal::open(dir.path(), opts.clone()).unwrap();
    let zero_tailed = |p: &std::path::Path| {
        segment_files(p).iter().any(|f| {
            let b = std::fs::read(f).unwrap();
            b.len() == 4096 && b.ends_with(&[0u8; 64])
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    while !zero_tailed(dir.path()) {
        assert!(
            Instant::now() < deadline,
            "no zero-filled segment came into use"
        );
        fill(&wal, n..n + 3);
        n += 3;
        std::thread::sleep(Duration::from_millis(2));
    }
    // Rotate out of zero-filled segments a few times: each is cut to its records, since only
    // the last segment may end in zeros.
    let before = segment_files(dir.path()).len();
    while segment_files(dir.path()).len() < before + 4 {
        assert!(Instant::now() < deadline, "the log did not rotate");
        fill(&wal, n..n + 3);
        n += 3;
        std::thread::sleep(Duration::from_millis(2));
    }
    let files = segment_files(dir.path());
    let (last, older) = files.split_last().unwrap();
    assert!(
        older
            .iter()
            .all(|f| !std::fs::read(f).unwrap().ends_with(&[0u8; 16])),
        "an older segment kept zeros"
    );
    assert!(last.exists());
    // What a kill -9 leaves: the files as they are now, zero tail and spare included.
    let image = TempDir::new("prealloc-image");
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), image.path().join(e.file_name())).unwrap();
    }
    let report = check(image.path()).unwrap();
    assert_eq!(report.records, n);
    assert_eq!(report.truncated_tail, None);
    let (again, rec) = Wal::open(image.path(), opts.clone()).unwrap();
    assert_eq!(rec.records, (0..n).map(payload).collect::<Vec<_>>());
    assert_eq!(rec.truncated_tail, None);
    assert_eq!(again.append(b"next").unwrap(), n + 1);
    again.close().unwrap();

    fill(&wal, n..n + 3);
    wal.close().unwrap();
    assert!(
        !zero_tailed(dir.path()),
        "a clean close trims the zero tail"
    );
    let names = file_names(dir.path());
    assert!(
        names.iter().all(|f| !f.ends_with(".tmp")),
        "spare left behind: {names:?}"
    );
    let (_wal, rec) = Wal::open(dir.path(), opts).unwrap();
    assert_eq!(rec.records, (0..n + 3).map(payload).collect::<Vec<_>>());
}

/// A snapshot written in parts comes back as one `Replay::Snapshot` per part, in order; a
/// version-1 snapshot (one whole payload, as earlier builds wrote) is still read; a writer
/// dropped before `finish_snapshot` leaves no file behind.
#[test]
fn snapshot_parts_replay_in_order_and_whole_snapshots_still_read() {
    let dir = TempDir::new("snap-parts");
    let (wal, _) = Wal::open(dir.path(), fsync_opts()).unwrap();
    fill(&wal, 0..5);
    let token = wal.begin_checkpoint().unwrap();
    let abandoned = wal.snapshot_writer(token).unwrap();
    drop(abandoned);
    let parts: Vec<Vec<u8>> = vec![
        b"first".to_vec(),
        vec![7u8; 100_000],
        Vec::new(),
        b"last".to_vec(),
    ];
    let mut w = wal.snapshot_writer(token).unwrap();
    for p in &parts {
        w.write_part(p).unwrap();
    }
    wal.finish_snapshot(w).unwrap();
    fill(&wal, 5..7);
    wal.close().unwrap();
    let names = file_names(dir.path());
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "a temporary snapshot was left: {names:?}"
    );

    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut records = 0;
    let (wal, info) = Wal::open_replay(dir.path(), fsync_opts(), |item| match item {
        Replay::Snapshot { boundary, payload } => {
            assert_eq!(boundary, 6);
            seen.push(payload.to_vec());
        }
        Replay::Record { .. } => records += 1,
    })
    .unwrap();
    assert_eq!(seen, parts);
    assert_eq!(records, 2);
    assert_eq!(info.snapshot_boundary, Some(6));
    wal.close().unwrap();

    // Rewrite the snapshot in the version-1 layout: the payload comes back whole.
    let snap = dir.path().join("snap-00000000000000000006.snap");
    let whole: Vec<u8> = parts.concat();
    let mut bytes = sluice_wal::record::encode_snapshot_header(6, &whole).to_vec();
    bytes.extend_from_slice(&whole);
    std::fs::write(&snap, &bytes).unwrap();
    let (_wal, rec) = Wal::open(dir.path(), fsync_opts()).unwrap();
    assert_eq!(rec.snapshot, Some(whole));
    assert_eq!(rec.records.len(), 2);
}
