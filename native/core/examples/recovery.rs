//! Recovery time, disk bytes and memory per message, for bench/RESULTS.md:
//! `cargo run --release -p sluice-core --example recovery -- 1000000 [BODY_BYTES] [DIR]`
//! Fills a queue with N messages of BODY_BYTES (default 100) (sent in batches of 10 through the broker, relaxed
//! durability for speed), closes, reopens (replaying the log), checkpoints, reopens again
//! (replaying the snapshot), and prints the figures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use sluice_core::broker::{key, Broker, CreateQueue, Durability};
use sluice_core::clock::SystemClock;
use sluice_core::queue::{QueueConfig, SendEntry};

/// SLUICE_PAYLOAD_MEMORY_MB (default: no limit): bodies kept in memory before spilling.
fn budget() -> u64 {
    std::env::var("SLUICE_PAYLOAD_MEMORY_MB").ok().and_then(|v| v.parse::<u64>().ok()).map_or(u64::MAX / 2, |mb| mb * 1024 * 1024)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

fn open(dir: &std::path::Path) -> (Arc<Broker>, f64) {
    let t = Instant::now();
    let (b, report) = Broker::open(dir, Durability::Relaxed(100), Arc::new(SystemClock::default()), 7, 1000, budget()).expect("open");
    let s = t.elapsed().as_secs_f64();
    eprintln!("  replayed {} records, {} messages in {s:.3} s", report.records, report.messages);
    (b, s)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let body_len: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let dir = std::path::PathBuf::from(args.get(3).cloned().unwrap_or_else(|| format!("/tmp/sluice-recovery-{n}")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let rss0 = rss_kib();
    let (b, _) = open(&dir);
    let c = CreateQueue {
        account: "000000000000",
        name: "r",
        arn: "arn:aws:sqs:us-east-1:000000000000:r",
        config: QueueConfig::default(),
        attributes: BTreeMap::new(),
        given: vec![],
        tags: BTreeMap::new(),
    };
    b.create_queue(c).expect("create");
    let k = key("000000000000", "r");
    let sender: Arc<str> = "000000000000".into();
    let body = vec![b'x'; body_len];
    let t = Instant::now();
    for _ in 0..n / 10 {
        let entries: Vec<SendEntry> = (0..10)
            .map(|_| SendEntry::plain(&body))
            .collect();
        b.send_batch(&k, &sender, &entries).expect("send");
    }
    let fill = t.elapsed().as_secs_f64();
    let rss1 = rss_kib();
    eprintln!("filled {n} messages in {fill:.2} s; RSS +{} MiB ({} bytes/message)", (rss1 - rss0) / 1024, (rss1 - rss0) * 1024 / n as u64);
    b.shutdown();
    drop(b);
    let log_bytes = dir_bytes(&dir);
    let (b, replay_log) = open(&dir);
    let t = Instant::now();
    b.checkpoint().expect("checkpoint");
    let cp = t.elapsed().as_secs_f64();
    b.shutdown();
    drop(b);
    let snap_bytes = dir_bytes(&dir);
    let (b, replay_snap) = open(&dir);
    b.shutdown();
    println!(
        "messages={n} body_bytes={body_len} fill_s={fill:.2} log_bytes={log_bytes} recover_from_log_s={replay_log:.3} checkpoint_s={cp:.3} \
         disk_bytes_after_checkpoint={snap_bytes} disk_bytes_per_message={} recover_from_snapshot_s={replay_snap:.3} \
         rss_bytes_per_message={}",
        snap_bytes / n as u64,
        (rss1 - rss0) * 1024 / n as u64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
