//! Group-commit and recovery throughput on the real disk.
//!
//! `cargo bench -p sluice-wal` (or `cargo bench -p sluice-wal -- quick` for a short run).
//! Fixed parameters: 150-byte records, each scenario runs `SECS` seconds in a fresh directory
//! under the system temp dir. Prints one line per scenario.

// Counts become f64 only for printing rates.
#![allow(clippy::cast_precision_loss)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_wal::{Replay, SyncMode, Wal, WalOptions};

const RECORD_BYTES: usize = 150;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-wal-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `threads` appenders; each keeps up to `window` appends outstanding and waits for
/// durability before going past it (window 1 = one request at a time per thread, like a
/// synchronous client; a larger window is like the broker resolving many promises at once).
fn closed_loop(label: &str, opts: &WalOptions, threads: usize, window: u64, secs: f64) {
    let dir = temp_dir(label);
    let (wal, _) = Wal::open(&dir, opts.clone()).unwrap();
    let wal = Arc::new(wal);
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (wal, stop, total) = (wal.clone(), stop.clone(), total.clone());
            std::thread::spawn(move || {
                let body = [b'x'; RECORD_BYTES];
                let mut outstanding = std::collections::VecDeque::new();
                let mut count = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    outstanding.push_back(wal.append(&body).unwrap());
                    if outstanding.len() as u64 >= window {
                        wal.wait_durable(outstanding.pop_front().unwrap()).unwrap();
                        count += 1;
                    }
                }
                for lsn in outstanding {
                    wal.wait_durable(lsn).unwrap();
                    count += 1;
                }
                total.fetch_add(count, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = wal.stats();
    let n = total.load(Ordering::Relaxed);
    let fsync_us = stats.fsync_ns_total as f64 / stats.fsyncs.max(1) as f64 / 1000.0;
    println!(
        "{label:<44} {:>9.0} rec/s  {:>7.0} fsync/s  {:>6.1} rec/commit  fsync avg {:>6.1} us max {:>7.1} us",
        n as f64 / elapsed,
        stats.fsyncs as f64 / elapsed,
        stats.appends as f64 / stats.commits.max(1) as f64,
        fsync_us,
        stats.fsync_ns_max as f64 / 1000.0,
    );
    Arc::try_unwrap(wal).ok().unwrap().close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

fn recovery(records: u64) {
    let dir = temp_dir("recovery");
    let opts = WalOptions::new(SyncMode::Relaxed { interval_ms: 100 });
    let (wal, _) = Wal::open(&dir, opts.clone()).unwrap();
    let body = [b'r'; RECORD_BYTES];
    let chunk: Vec<&[u8]> = vec![&body[..]; 1000];
    let started = Instant::now();
    for _ in 0..records / 1000 {
        wal.append_batch(&chunk).unwrap();
    }
    wal.close().unwrap();
    let write_s = started.elapsed().as_secs_f64();
    // Drop the page cache only if allowed; otherwise this measures a warm cache.
    let cold = std::fs::write("/proc/sys/vm/drop_caches", "1").is_ok();

    let started = Instant::now();
    let mut n = 0u64;
    let mut bytes = 0u64;
    let (wal, info) = Wal::open_replay(&dir, opts.clone(), |item| {
        if let Replay::Record { payload, .. } = item {
            n += 1;
            bytes += payload.len() as u64;
        }
    })
    .unwrap();
    let replay_s = started.elapsed().as_secs_f64();
    assert_eq!(n, records);
    assert_eq!(info.next_lsn, records + 1);
    wal.close().unwrap();
    let started = Instant::now();
    let (wal, rec) = Wal::open(&dir, opts).unwrap();
    let collect_s = started.elapsed().as_secs_f64();
    assert_eq!(rec.records.len() as u64, records);
    drop(rec);
    wal.close().unwrap();
    println!(
        "recovery of {records} x {RECORD_BYTES} B ({} MB, {} cache): write {write_s:.2} s, \
         open_replay {replay_s:.3} s ({:.0} rec/s), open (collect Vecs) {collect_s:.3} s",
        bytes / 1_000_000,
        if cold { "cold" } else { "warm" },
        n as f64 / replay_s,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let secs = if quick { 0.5 } else { 2.0 };
    let fsync = WalOptions::new(SyncMode::Fsync);
    for (threads, window) in [
        (1, 1),
        (4, 1),
        (16, 1),
        (64, 1),
        (256, 1),
        (2, 256),
        (4, 1024),
    ] {
        let label = format!("fsync  threads={threads:<3} window={window}");
        closed_loop(&label, &fsync, threads, window, secs);
    }
    for wait_us in [0, 50, 200] {
        let opts = WalOptions {
            flush_wait_us_max: wait_us,
            ..fsync.clone()
        };
        let label = format!("fsync  threads=16  window=1 wait_us={wait_us}");
        closed_loop(&label, &opts, 16, 1, secs);
    }
    let relaxed = WalOptions::new(SyncMode::Relaxed { interval_ms: 100 });
    closed_loop("relaxed threads=4 window=1024", &relaxed, 4, 1024, secs);
    closed_loop(
        "memory  threads=4 window=1024",
        &WalOptions::new(SyncMode::Memory),
        4,
        1024,
        secs,
    );
    recovery(if quick { 100_000 } else { 1_000_000 });
}
