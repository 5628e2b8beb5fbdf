//! Crash consistency on the simulated disk (`CrashFs`), after redb's `crash_consistency.rs`.
//!
//! Guards the promise the broker builds on: whatever `wait_durable` acknowledged survives a
//! crash at any sync, recovery yields exactly a prefix of what was appended (no holes, no
//! reordering, no invented records), and write failures are sticky.

mod common;

use std::sync::Arc;

use common::payload;
use sluice_wal::testing::CrashFs;
use sluice_wal::{Fs, Lsn, Replay, SyncMode, Wal, WalError, WalOptions};

fn opts() -> WalOptions {
    // Small segments so crashes also land inside rotations and checkpoints.
    WalOptions {
        segment_bytes_max: 2048,
        ..WalOptions::new(SyncMode::Fsync)
    }
}

type Recovered = (Wal, Option<Lsn>, Vec<(Lsn, Vec<u8>)>);

/// Opens `fs`; returns the log, the snapshot boundary and the records in Lsn order.
fn recover(fs: &CrashFs) -> Recovered {
    recover_with(fs, opts())
}

fn recover_with(fs: &CrashFs, opts: WalOptions) -> Recovered {
    let mut records = Vec::new();
    let mut boundary = None;
    let (wal, info) = Wal::open_on(
        Arc::new(fs.clone()) as Arc<dyn Fs>,
        opts,
        |item| match item {
            Replay::Snapshot {
                boundary: b,
                payload,
            } => {
                assert_eq!(payload, snapshot_for(b).as_slice());
                boundary = Some(b);
            }
            Replay::Record { lsn, payload } => records.push((lsn, payload.to_vec())),
        },
    )
    .expect("recovery after a crash must succeed");
    assert_eq!(info.snapshot_boundary, boundary);
    (wal, boundary, records)
}

/// The snapshot a checkpoint at `boundary` writes: here, just the count it covers.
fn snapshot_for(boundary: Lsn) -> Vec<u8> {
    format!("covers 1..{boundary}").into_bytes()
}

/// Runs a workload of single appends, batches and checkpoints until the simulated machine
/// crashes (or the workload ends). Returns the highest Lsn acknowledged durable and the
/// highest appended.
fn workload(wal: &Wal, ops: u64) -> (Lsn, Lsn) {
    let mut acked = 0;
    let mut appended = 0;
    for i in 0..ops {
        let r = if i % 7 == 3 {
            let a = payload(appended);
            let b = payload(appended + 1);
            wal.append_batch(&[&a, &b])
        } else {
            wal.append(&payload(appended))
        };
        let Ok(lsn) = r else { break };
        appended = lsn;
        if i % 25 == 24 {
            let Ok(token) = wal.begin_checkpoint() else {
                break;
            };
            if wal
                .finish_checkpoint(token, &snapshot_for(token.boundary))
                .is_err()
            {
                break;
            }
        }
        if i % 3 == 2 {
            if wal.wait_durable(lsn).is_err() {
                break;
            }
            acked = lsn;
        }
    }
    (acked, appended)
}

fn check_prefix(boundary: Option<Lsn>, records: &[(Lsn, Vec<u8>)], acked: Lsn, appended: Lsn) {
    let first = boundary.unwrap_or(1);
    for (k, (lsn, body)) in records.iter().enumerate() {
        assert_eq!(*lsn, first + k as u64, "records must be contiguous");
        assert_eq!(
            body,
            &payload(lsn - 1),
            "record {lsn} must be what was appended"
        );
    }
    let end = first + records.len() as u64 - 1;
    assert!(
        end >= acked,
        "acknowledged lsn {acked} lost: recovered through {end}"
    );
    assert!(
        end <= appended,
        "recovered {end} but only {appended} were appended"
    );
}

#[test]
fn crash_at_every_sync_recovers_an_acknowledged_prefix() {
    crash_at_every_sync(&opts());
}

/// The same with segments zero-filled in advance (their writes and syncs come from another
/// thread, so crashes also land while a spare is half written or being renamed).
#[test]
fn crash_at_every_sync_with_zero_filled_segments() {
    crash_at_every_sync(&WalOptions {
        preallocate: true,
        ..opts()
    });
}

fn crash_at_every_sync(opts: &WalOptions) {
    // Count the syncs a full run takes, then crash at each one in turn.
    let probe = CrashFs::new();
    let (wal, _, _) = recover_with(&probe, opts.clone());
    let base = probe.syncs();
    workload(&wal, 300);
    wal.close().unwrap();
    let total = probe.syncs() - base;
    assert!(total > 20, "workload too small: {total} syncs");

    for n in 1..=total {
        for torn in [None, Some(n)] {
            let fs = CrashFs::new();
            let (wal, _, _) = recover_with(&fs, opts.clone());
            fs.crash_at_sync(n);
            let (acked, appended) = workload(&wal, 300);
            // Group-commit batching varies run to run, so the count of syncs does too.
            fs.crash_now();
            drop(wal);
            let rebooted = fs.reboot(torn);
            let (wal, boundary, records) = recover_with(&rebooted, opts.clone());
            check_prefix(boundary, &records, acked, appended);
            // The recovered log is usable: append, and survive another clean reopen.
            let next = wal.append(&payload(appended + 100)).unwrap();
            wal.wait_durable(next).unwrap();
            wal.close().unwrap();
            let (_wal, _, again) = recover_with(&rebooted, opts.clone());
            assert_eq!(
                again.len(),
                records.len() + 1,
                "crash at sync {n}, torn {torn:?}"
            );
        }
    }
}

#[test]
fn crash_without_any_sync_loses_only_unacknowledged() {
    let fs = CrashFs::new();
    let (wal, _, _) = recover(&fs);
    let (acked, appended) = workload(&wal, 100);
    for i in 0..50 {
        wal.append(&payload(appended + i)).unwrap();
    }
    fs.crash_now();
    drop(wal);
    for seed in 0..20 {
        let (_wal, boundary, records) = recover(&fs.reboot(Some(seed)));
        check_prefix(boundary, &records, acked, appended + 50);
    }
}

#[test]
fn failed_fsync_is_sticky_and_wakes_waiters() {
    let fs = CrashFs::new();
    let (wal, _, _) = recover(&fs);
    let wal = Arc::new(wal);
    let ok = wal.append(b"durable").unwrap();
    wal.wait_durable(ok).unwrap();
    fs.fail_syncs_eio(1);
    let lsn = wal.append(b"lost").unwrap();
    let w2 = wal.clone();
    let waiter = std::thread::spawn(move || w2.wait_durable(lsn));
    assert!(matches!(
        waiter.join().unwrap(),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(matches!(
        wal.wait_durable(lsn),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(matches!(
        wal.append(b"more"),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(matches!(
        wal.append_batch(&[b"more"]),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(matches!(
        wal.begin_checkpoint(),
        Err(WalError::PreviousIo { .. })
    ));
    // A failed fsync is never retried: the kernel may have dropped the dirty pages.
    assert!(matches!(
        wal.retry_after_error(),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(wal.stats().failed);
    assert_eq!(wal.durable_lsn(), ok);
    assert!(matches!(wal.shutdown(), Err(WalError::PreviousIo { .. })));
    drop(wal);
    // Reopening reads the disk as the truth again.
    let (wal, _, records) = recover(&fs.reboot(None));
    assert_eq!(records[0].1, b"durable");
    assert!(wal.append(b"fresh").is_ok());
}

#[test]
fn disk_full_write_can_be_retried() {
    let fs = CrashFs::new();
    let (wal, _, _) = recover(&fs);
    let first = wal.append(b"before").unwrap();
    wal.wait_durable(first).unwrap();
    fs.fail_writes_enospc(1);
    let a = wal.append(b"during-1").unwrap();
    let b = wal.append(b"during-2").unwrap();
    assert!(matches!(
        wal.wait_durable(b),
        Err(WalError::PreviousIo { .. })
    ));
    assert!(
        matches!(wal.append(b"refused"), Err(WalError::PreviousIo { first }) if first.contains("space"))
    );
    // The operator frees space; the failed batch (same Lsns) is rewritten over the partial write.
    wal.retry_after_error().unwrap();
    wal.wait_durable(b).unwrap();
    assert_eq!((a, b), (first + 1, first + 2));
    let c = wal.append(b"after").unwrap();
    wal.wait_durable(c).unwrap();
    wal.close().unwrap();
    let (_wal, _, records) = recover(&fs.reboot(None));
    let bodies: Vec<&[u8]> = records.iter().map(|r| r.1.as_slice()).collect();
    assert_eq!(bodies, [&b"before"[..], b"during-1", b"during-2", b"after"]);
}

#[test]
fn torn_segment_header_after_crash_in_rotation() {
    let fs = CrashFs::new();
    let (wal, _, _) = recover(&fs);
    let (_, end) = workload(&wal, 40);
    wal.close().unwrap();
    let (wal, _, records) = recover(&fs);
    wal.close().unwrap();
    // A rotation that crashed after creating the next segment but before its header was
    // durable leaves an empty or partial file; the Lsn in its name is the next one.
    fs.write_file(&format!("wal-{:020}.log", end + 1), b"SLUICE");
    let (wal, _, again) = recover(&fs);
    assert_eq!(again, records);
    let lsn = wal.append(b"x").unwrap();
    assert_eq!(lsn, end + 1);
    wal.close().unwrap();
    let (_wal, _, after) = recover(&fs);
    assert_eq!(after.last().unwrap().1, b"x");
}

#[test]
fn panicking_callback_fails_the_log_instead_of_hanging() {
    let fs = CrashFs::new();
    let (wal, _, _) = recover(&fs);
    wal.set_on_durable(Box::new(|_| panic!("callback bug")));
    let lsn = wal.append(b"x").unwrap();
    // The record itself was made durable before the callback ran.
    wal.wait_durable(lsn).unwrap();
    let next = wal.append(b"y");
    let refused = next.is_err() || wal.wait_durable(next.unwrap()).is_err();
    assert!(refused || matches!(wal.append(b"z"), Err(WalError::PreviousIo { .. })));
    assert!(
        matches!(wal.shutdown(), Err(WalError::PreviousIo { first }) if first.contains("panicked"))
    );
}
