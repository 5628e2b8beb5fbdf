//! Random operation sequences against the broker, with a restart (replay of the journal, from a
//! checkpoint at random points) after every few steps: the recovered state must equal the state
//! before the restart, message by message, and the queue invariants must hold throughout
//! (FIFO: a group never has a later message in flight while an earlier one waits; nothing
//! deleted comes back; counts add up).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use sluice_core::broker::{key, Broker, CreateQueue, Durability, StartMove};
use sluice_core::clock::{Clock, ManualClock};
use sluice_core::message::State;
use sluice_core::queue::{QueueConfig, SendEntry};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sluice-model-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A comparable picture of every message: (queue, message id) → (body, state kind, receive count, group).
type Picture = BTreeMap<(String, [u8; 16]), (Vec<u8>, u8, u32, Option<String>)>;

/// States as of `now`: a delay or lease that has run out counts as visible, whether or not the
/// queue has applied it yet (it does so lazily).
fn picture_at(b: &Broker, now: u64) -> Picture {
    let mut p = Picture::new();
    b.for_each_queue(|q, inner| {
        for (_, m) in inner.state.messages() {
            let kind = match m.state {
                State::Ready => 0,
                State::Delayed(t) if t > now => 1,
                State::Inflight(t) if t > now => 2,
                State::Delayed(_) | State::Inflight(_) => 0,
            };
            p.insert(
                (q.key.to_string(), m.id),
                (m.payload.load().expect("payload").body().to_vec(), kind, m.receive_count, m.group_id.as_deref().map(str::to_owned)),
            );
        }
    });
    p
}

fn picture(b: &Broker) -> Picture {
    picture_at(b, b.now_ms())
}

/// Every queue's move tasks, most recent first.
fn tasks(b: &Broker) -> Vec<(String, Vec<sluice_core::move_task::MoveTask>)> {
    ["std", "q.fifo", "dst"].iter().map(|q| (q.to_string(), b.move_tasks(&key("000000000000", q)).expect("queue"))).collect()
}

fn diff(a: &Picture, b: &Picture) -> String {
    let mut out = String::new();
    for (k, v) in a {
        match b.get(k) {
            None => out += &format!("only before: {k:?} {v:?}\n"),
            Some(w) if w != v => out += &format!("changed: {k:?} {v:?} -> {w:?}\n"),
            _ => {}
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            out += &format!("only after: {k:?} {v:?}\n");
        }
    }
    out
}

fn open(dir: &PathBuf, clock: &Arc<ManualClock>) -> Arc<Broker> {
    // A small payload budget, so some messages live in the spill file.
    Broker::open(dir, Durability::Fsync, clock.clone(), 42, 1000, SPILL_BUDGET_BYTES).expect("open").0
}

/// Small, so most payloads live in the spill file and are read back on delivery.
const SPILL_BUDGET_BYTES: u64 = 100;

/// Send entries for `bodies`: on a FIFO queue in group `group`, each body its own dedup id.
fn entries<'a>(bodies: &'a [String], group: Option<&'a str>) -> Vec<SendEntry<'a>> {
    bodies
        .iter()
        .map(|body| SendEntry { group_id: group, dedup_id: group.map(|_| body.as_str()), ..SendEntry::plain(body.as_bytes()) })
        .collect()
}

fn create(b: &Broker, name: &str, fifo: bool) {
    let config = QueueConfig { fifo, visibility_timeout_s: 5, content_based_dedup: fifo, ..QueueConfig::default() };
    let c = CreateQueue {
        account: "000000000000",
        name,
        arn: &format!("arn:aws:sqs:us-east-1:000000000000:{name}"),
        config,
        attributes: BTreeMap::new(),
        given: vec![],
        tags: BTreeMap::new(),
    };
    b.create_queue(c).expect("create");
}

/// Returns how many messages move tasks moved to `dst`.
fn run(seed: u64, steps: usize) -> u64 {
    let dir = temp_dir(&seed.to_string());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let mut b = open(&dir, &clock);
    create(&b, "std", false);
    create(&b, "q.fifo", true);
    create(&b, "dst", false);
    let sender: Arc<str> = "000000000000".into();
    let mut rng = Rng(seed | 1);
    let mut handles: Vec<(String, String)> = Vec::new();
    let mut deleted: Vec<(String, [u8; 16])> = Vec::new();
    let mut n = 0u64;
    // Task id → messages it moved to `dst`, as last seen (history keeps only the latest tasks).
    let mut moved_to_dst: HashMap<u64, u64> = HashMap::new();
    for step in 0..steps {
        let queue = if rng.below(2) == 0 { "std" } else { "q.fifo" };
        let k = key("000000000000", queue);
        let fifo = queue.ends_with(".fifo");
        match rng.below(12) {
            0..=3 => {
                let count = 1 + rng.below(10) as usize;
                let bodies: Vec<String> = (0..count).map(|_| { n += 1; format!("m{n}") }).collect();
                let groups: Vec<String> = (0..count).map(|_| format!("g{}", rng.below(4))).collect();
                let entries: Vec<SendEntry> = bodies
                    .iter()
                    .zip(&groups)
                    .map(|(body, g)| SendEntry {
                        delay_s: if fifo { None } else { Some(u32::try_from(rng.below(3)).unwrap()) },
                        group_id: Some(g.as_str()),
                        dedup_id: if fifo { Some(body.as_str()) } else { None },
                        ..SendEntry::plain(body.as_bytes())
                    })
                    .collect();
                let (results, _) = b.send_batch(&k, &sender, &entries).expect("send");
                assert!(results.iter().all(Result::is_ok));
            }
            4..=6 => {
                // FIFO: what may be delivered is fixed before the receive: only groups with
                // nothing in flight, each from its earliest visible message.
                let now = clock.now_ms();
                let mut held: HashMap<String, Vec<(u64, u64, u32)>> = HashMap::new();
                let mut head: HashMap<String, u64> = HashMap::new();
                b.for_each_queue(|q, inner| {
                    if *q.key != *k {
                        return;
                    }
                    for (&seq, m) in inner.state.messages() {
                        let g = m.group_id.as_deref().unwrap_or("").to_owned();
                        match m.state {
                            State::Inflight(t) if t > now => {
                                held.entry(g).or_default().push((seq, t, m.receive_count));
                            }
                            State::Delayed(t) if t > now => {}
                            _ => {
                                head.entry(g).or_insert(seq);
                            }
                        }
                    }
                });
                let got = b.receive(&k, 1 + rng.below(10) as usize, None, None, None).expect("receive");
                if fifo {
                    let mut seen: HashSet<String> = HashSet::new();
                    for d in &got.deliveries {
                        let g = d.message.group_id.as_deref().unwrap_or("").to_owned();
                        assert!(!held.contains_key(&g), "step {step} now {now}: delivered {} from group {g} while in flight: {:?}", d.receipt.seq, held.get(&g));
                        if seen.insert(g.clone()) {
                            assert_eq!(Some(&d.receipt.seq), head.get(&g), "step {step}: group {g} did not start at its earliest message");
                        }
                    }
                }
                // FIFO: within a receive, each group's messages come in send order.
                let mut last: HashMap<String, u64> = HashMap::new();
                for d in &got.deliveries {
                    if let Some(g) = &d.message.group_id {
                        if fifo {
                            let prev = last.insert(g.to_string(), d.message.sequence_number);
                            assert!(prev.is_none_or(|p| p < d.message.sequence_number), "group order");
                        }
                    }
                    handles.push((k.clone(), b.receipt_handle(d.receipt)));
                }
            }
            7 => {
                if !handles.is_empty() {
                    let i = rng.below(handles.len() as u64) as usize;
                    let (hk, h) = handles.swap_remove(i);
                    let before = picture(&b);
                    let (r, _) = b.delete_batch(&hk, &[h.as_str()]).expect("delete");
                    if let Ok(true) = r[0] {
                        let after = picture(&b);
                        for id in before.keys().filter(|id| !after.contains_key(*id)) {
                            deleted.push(id.clone());
                        }
                    }
                }
            }
            8 => {
                if !handles.is_empty() {
                    let i = rng.below(handles.len() as u64) as usize;
                    let (hk, h) = handles[i].clone();
                    let _ = b.change_visibility_batch(&hk, &[(h.as_str(), u32::try_from(rng.below(3)).unwrap())]);
                }
            }
            9 => {
                // A move task from `std`: to `dst`, or "back to each message's source" (none
                // has one here, so they stay in `std` with new sequence numbers); or a cancel.
                let src = key("000000000000", "std");
                let dst = key("000000000000", "dst");
                let running = b.move_tasks(&src).expect("queue").first().filter(|t| t.status.as_str() == "RUNNING").map(|t| t.id);
                match running {
                    Some(id) if rng.below(3) == 0 => {
                        b.cancel_move_task(&src, id).expect("cancel");
                    }
                    Some(_) => {}
                    None => {
                        let fixed = rng.below(4) != 0;
                        let s = StartMove {
                            source_key: &src,
                            source_arn: "arn:aws:sqs:us-east-1:000000000000:std",
                            destination_key: fixed.then_some(dst.as_str()),
                            destination_arn: fixed.then_some("arn:aws:sqs:us-east-1:000000000000:dst"),
                            rate: [None, Some(1), Some(7), Some(500)][rng.below(4) as usize],
                        };
                        b.start_move_task(&s).expect("start");
                    }
                }
            }
            10 => b.step_move_tasks(),
            _ => {
                let by = rng.below(4000);
                clock.advance(by);
                if std::env::var("MODEL_TRACE").is_ok() { eprintln!("step {step}: advance {by}"); }
            }
        }
        // A task's count and the messages it moved change together: `dst` only gains messages
        // from tasks, so it holds exactly what they counted.
        for t in b.move_tasks(&key("000000000000", "std")).expect("queue") {
            if t.destination_arn.is_some() {
                moved_to_dst.insert(t.id, t.moved);
            }
        }
        let mut in_dst = 0u64;
        b.for_each_queue(|q, inner| {
            if &*q.key == "000000000000/dst" {
                in_dst = inner.state.len() as u64;
            }
        });
        assert_eq!(in_dst, moved_to_dst.values().sum::<u64>(), "seed {seed} step {step}: moved count and moved messages disagree");
        if step % 37 == 36 {
            if rng.below(3) == 0 {
                b.checkpoint().expect("checkpoint");
            }
            let before = picture(&b);
            let tasks_before = tasks(&b);
            let (resident, spilled) = b.spill_stats().expect("spilling is on");
            assert!(resident <= SPILL_BUDGET_BYTES, "payload in memory {resident} past the budget");
            if before.len() > 50 {
                assert!(spilled > 0, "with {} messages some must be spilled", before.len());
            }
            b.shutdown();
            drop(b);
            b = open(&dir, &clock);
            // Replay spills as it goes: the payload in memory stays within the budget, and the
            // spill file counts exactly the live bodies it holds.
            let (resident, spilled) = b.spill_stats().expect("spilling is on");
            assert!(resident <= SPILL_BUDGET_BYTES, "recovery kept {resident} bytes of payload past the budget");
            let mut live_spilled = 0u64;
            b.for_each_queue(|_, inner| {
                live_spilled += inner.state.messages().filter(|(_, m)| m.payload.is_spilled()).count() as u64;
            });
            assert_eq!(spilled, live_spilled, "seed {seed} step {step}: spilled bodies miscounted after recovery");
            let after = picture(&b);
            assert!(before == after, "seed {seed} step {step}: recovery changed the state:\n{}", diff(&before, &after));
            assert_eq!(tasks_before, tasks(&b), "seed {seed} step {step}: recovery changed the move tasks");
            // A moved message is in one queue only.
            let mut ids: Vec<[u8; 16]> = after.keys().map(|(_, id)| *id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), after.len(), "seed {seed} step {step}: a message is in two queues");
            for id in &deleted {
                assert!(!after.contains_key(id), "a deleted message came back");
            }
            handles.clear(); // handles stay valid, but keep the test simple after a restart
        }
    }
    b.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    moved_to_dst.values().sum()
}

#[test]
fn random_operations_recover_exactly() {
    let mut moved = 0;
    for seed in 1..=40 {
        moved += run(seed * 7919, 600);
    }
    // The move tasks had something to do.
    assert!(moved > 100, "move tasks moved only {moved} messages");
    eprintln!("move tasks moved {moved} messages");
}

/// The spill file is opened before the log's replay takes the directory lock: a second open of
/// a directory in use must fail without touching the bodies the running broker spilled.
#[test]
fn a_refused_second_open_leaves_the_spill_file_alone() {
    let dir = temp_dir("locked");
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let b = open(&dir, &clock);
    create(&b, "std", false);
    let k = key("000000000000", "std");
    let sender: Arc<str> = "000000000000".into();
    let bodies: Vec<String> = (0..10).map(|i| format!("{i:0>64}")).collect();
    let entries = entries(&bodies, None);
    let (results, _) = b.send_batch(&k, &sender, &entries).expect("send");
    assert!(results.iter().all(Result::is_ok));
    let before = picture(&b);
    assert!(b.spill_stats().unwrap().1 > 0, "some bodies must be spilled");
    assert!(Broker::open(&dir, Durability::Fsync, clock.clone(), 42, 1000, SPILL_BUDGET_BYTES).is_err());
    assert!(before == picture(&b), "the running broker's spilled bodies changed");
    b.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A checkpoint larger than one snapshot part (1 MiB) is written and read back in parts; the
/// state after the restart is the state before it.
#[test]
fn a_snapshot_of_many_parts_recovers_exactly() {
    let dir = temp_dir("parts");
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let b = open(&dir, &clock);
    create(&b, "std", false);
    create(&b, "q.fifo", true);
    let sender: Arc<str> = "000000000000".into();
    for (queue, fifo) in [("std", false), ("q.fifo", true)] {
        let k = key("000000000000", queue);
        for batch in 0..200 {
            let bodies: Vec<String> = (0..10).map(|i| format!("{queue}-{batch}-{i}-{}", "x".repeat(1000))).collect();
            let entries = entries(&bodies, fifo.then_some("g"));
            let (results, _) = b.send_batch(&k, &sender, &entries).expect("send");
            assert!(results.iter().all(Result::is_ok));
        }
    }
    let bytes = b.checkpoint().expect("checkpoint");
    assert!(bytes > 3 * 1024 * 1024, "the snapshot must span several parts: {bytes} bytes");
    let before = picture(&b);
    assert_eq!(before.len(), 4000);
    b.shutdown();
    drop(b);
    let b = open(&dir, &clock);
    let after = picture(&b);
    assert!(before == after, "recovery from a snapshot in parts changed the state:\n{}", diff(&before, &after));
    b.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Checkpoints while another thread keeps sending, receiving and deleting (most bodies spilled,
/// so encoding reads them back while deletes go on): after the last operation a restart must
/// reproduce exactly the state the broker had.
#[test]
fn checkpoints_under_concurrent_changes_recover_exactly() {
    let dir = temp_dir("concurrent");
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let b = open(&dir, &clock);
    create(&b, "std", false);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let (b, stop) = (b.clone(), stop.clone());
        std::thread::spawn(move || {
            let k = key("000000000000", "std");
            let sender: Arc<str> = "000000000000".into();
            let mut n = 0u64;
            // Bounded: leases left in flight must stay under the 120,000 in-flight limit.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 100_000 {
                let bodies: Vec<String> = (0..5).map(|_| { n += 1; format!("m{n}-{}", "y".repeat(200)) }).collect();
                let entries = entries(&bodies, None);
                b.send_batch(&k, &sender, &entries).expect("send");
                let got = b.receive(&k, 3, Some(30), None, None).expect("receive");
                let handles: Vec<String> = got.deliveries.iter().map(|d| b.receipt_handle(d.receipt)).collect();
                let refs: Vec<&str> = handles.iter().map(String::as_str).collect();
                // Most received messages are deleted; some stay in flight.
                if n % 7 != 0 {
                    b.delete_batch(&k, &refs).expect("delete");
                }
            }
            n
        })
    };
    for _ in 0..20 {
        b.checkpoint().expect("checkpoint");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = worker.join().unwrap();
    assert!(sent > 100, "the other thread made too few changes: {sent}");
    let before = picture(&b);
    b.shutdown();
    drop(b);
    let b = open(&dir, &clock);
    let after = picture(&b);
    assert!(before == after, "recovery after concurrent checkpoints changed the state:\n{}", diff(&before, &after));
    b.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON fast path's verbs: a whole batch is stored or deleted entirely or not at all, and
/// what they did recovers like any other change.
#[test]
fn whole_batches_change_all_or_nothing() {
    let dir = temp_dir("whole");
    let clock = Arc::new(ManualClock::new(1_000_000));
    let b = open(&dir, &clock);
    create(&b, "w.fifo", true);
    let k = key("000000000000", "w.fifo");
    let sender: Arc<str> = "000000000000".into();
    let bodies: Vec<String> = (0..3).map(|i| format!("m{i}")).collect();
    let mut batch = entries(&bodies, Some("g"));
    batch[2].group_id = None; // a FIFO queue refuses it
    assert!(b.send_batch_whole(&k, &sender, &batch).expect("queue").is_none());
    assert!(picture(&b).is_empty(), "a refused entry stores none of the batch");
    batch[2].group_id = Some("g");
    let (sent, lsn) = b.send_batch_whole(&k, &sender, &batch).expect("queue").expect("stored");
    assert_eq!(sent.len(), 3);
    assert!(lsn > 0);
    let got = b.receive(&k, 10, Some(30), None, None).expect("receive");
    assert_eq!(got.deliveries.len(), 3);
    let handles: Vec<String> = got.deliveries.iter().map(|d| b.receipt_handle(d.receipt)).collect();
    let with_bad: Vec<&str> = vec![handles[0].as_str(), "not-a-handle"];
    assert!(b.delete_batch_whole(&k, &with_bad).expect("queue").is_none());
    assert_eq!(picture(&b).len(), 3, "an invalid handle deletes none of the batch");
    let two: Vec<&str> = handles[..2].iter().map(String::as_str).collect();
    assert_eq!(b.delete_batch_whole(&k, &two).expect("queue").map(|(n, _)| n), Some(2));
    // A handle whose lease ran out is refused on a FIFO queue: nothing deleted.
    clock.advance(31_000);
    assert!(b.delete_batch_whole(&k, &[handles[2].as_str()]).expect("queue").is_none());
    let before = picture(&b);
    assert_eq!(before.len(), 1);
    drop(b);
    let b = open(&dir, &clock);
    assert_eq!(diff(&before, &picture(&b)), "");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A receive reports the Lsn of its leases' record, and the log restores those leases: the
/// consumer's handle still deletes after a restart, and the message is not visible meanwhile.
#[test]
fn a_receive_answers_with_the_lsn_of_its_leases() {
    let dir = temp_dir("lease-lsn");
    let clock = Arc::new(ManualClock::new(1_000_000));
    let b = open(&dir, &clock);
    create(&b, "l.fifo", true);
    let k = key("000000000000", "l.fifo");
    let sender: Arc<str> = "000000000000".into();
    let empty = b.receive(&k, 10, Some(30), None, None).expect("receive");
    assert_eq!(empty.lsn, 0, "nothing leased, nothing to wait for");
    let bodies: Vec<String> = (0..3).map(|i| format!("m{i}")).collect();
    let (_, sent_lsn) = b.send_batch_whole(&k, &sender, &entries(&bodies, Some("g"))).expect("queue").expect("stored");
    let got = b.receive(&k, 1, Some(30), Some("attempt"), None).expect("receive");
    assert_eq!(got.deliveries.len(), 1);
    assert!(got.lsn > sent_lsn, "the leases are a record of their own, after the send's");
    // A retried attempt id hands out the same leases: it waits for at least their record.
    let again = b.receive(&k, 1, Some(30), Some("attempt"), None).expect("receive");
    assert_eq!(again.deliveries[0].receipt, got.deliveries[0].receipt);
    assert!(again.lsn >= got.lsn);
    let handle = b.receipt_handle(got.deliveries[0].receipt);
    drop(b);
    let b = open(&dir, &clock);
    assert!(b.receive(&k, 10, None, None, None).expect("receive").deliveries.is_empty(), "the group is held by the lease");
    assert_eq!(b.delete_batch_whole(&k, &[handle.as_str()]).expect("queue").map(|(n, _)| n), Some(1));
    let next = b.receive(&k, 10, None, None, None).expect("receive");
    assert_eq!(next.deliveries.len(), 2, "the rest of the group, in order");
    let _ = std::fs::remove_dir_all(&dir);
}
