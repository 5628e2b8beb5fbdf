//! State besides messages that must survive a restart: message move tasks (with their counts,
//! resuming where the log left them), PurgeQueue's cooldown and the cooldown before a deleted
//! queue's name may be used again. Each case restarts from the log alone and from a checkpoint.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use sluice_core::broker::{key, Broker, CreateError, CreateQueue, Durability, MoveTaskError, PurgeError, StartMove};
use sluice_core::clock::ManualClock;
use sluice_core::limits::{PURGE_COOLDOWN_MS, QUEUE_RECREATE_COOLDOWN_MS};
use sluice_core::move_task::{MoveTask, MOVE_TASK_STEP_MS};
use sluice_core::queue::{QueueConfig, SendEntry};

const ACCOUNT: &str = "000000000000";

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sluice-restart-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn open(dir: &PathBuf, clock: &Arc<ManualClock>) -> Arc<Broker> {
    Broker::open(dir, Durability::Fsync, clock.clone(), 42, 1000, u64::MAX).expect("open").0
}

/// Closes `b` and opens the directory again, after a checkpoint when `checkpoint`.
fn restart(b: Arc<Broker>, dir: &PathBuf, clock: &Arc<ManualClock>, checkpoint: bool) -> Arc<Broker> {
    if checkpoint {
        b.checkpoint().expect("checkpoint");
    }
    b.shutdown();
    drop(b);
    open(dir, clock)
}

fn arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")
}

fn create(b: &Broker, name: &str) -> Result<(u64, bool, u64), CreateError> {
    b.create_queue(CreateQueue {
        account: ACCOUNT,
        name,
        arn: &arn(name),
        config: QueueConfig::default(),
        attributes: BTreeMap::new(),
        given: vec![],
        tags: BTreeMap::new(),
    })
}

fn send(b: &Broker, name: &str, n: usize) {
    let bodies: Vec<String> = (0..n).map(|i| format!("{name}-{i}")).collect();
    let sender: Arc<str> = ACCOUNT.into();
    for chunk in bodies.chunks(10) {
        let entries: Vec<SendEntry> = chunk
            .iter()
            .map(|body| SendEntry::plain(body.as_bytes()))
            .collect();
        let (results, _) = b.send_batch(&key(ACCOUNT, name), &sender, &entries).expect("send");
        assert!(results.iter().all(Result::is_ok));
    }
}

/// Message bodies in a queue, sorted.
fn bodies(b: &Broker, name: &str) -> Vec<String> {
    let k = key(ACCOUNT, name);
    let mut out = Vec::new();
    b.for_each_queue(|q, inner| {
        if *q.key == *k {
            for (_, m) in inner.state.messages() {
                out.push(String::from_utf8(m.payload.load().unwrap().body().to_vec()).unwrap());
            }
        }
    });
    out.sort();
    out
}

fn task(b: &Broker, name: &str) -> MoveTask {
    b.move_tasks(&key(ACCOUNT, name)).expect("queue").into_iter().next().expect("a task")
}

fn start(b: &Broker, source: &str, destination: &str, rate: Option<u32>) -> Result<(u64, u64), MoveTaskError> {
    let (sk, dk) = (key(ACCOUNT, source), key(ACCOUNT, destination));
    let (sa, da) = (arn(source), arn(destination));
    b.start_move_task(&StartMove { source_key: &sk, source_arn: &sa, destination_key: Some(&dk), destination_arn: Some(&da), rate })
}

#[test]
fn a_running_move_task_resumes_after_a_restart_with_its_count() {
    for checkpoint in [false, true] {
        let dir = temp_dir(&format!("move-{checkpoint}"));
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let mut b = open(&dir, &clock);
        create(&b, "dlq").unwrap();
        create(&b, "dest").unwrap();
        send(&b, "dlq", 25);
        let all = bodies(&b, "dlq");
        let (id, _) = start(&b, "dlq", "dest", Some(10)).expect("start");
        assert_eq!(start(&b, "dlq", "dest", None), Err(MoveTaskError::Running));
        // 10 a second for 1.2 s: 12 moved, in steps as the timer thread would take them.
        for _ in 0..12 {
            clock.advance(MOVE_TASK_STEP_MS);
            b.step_move_tasks();
        }
        let before = task(&b, "dlq");
        assert_eq!((before.id, before.status.as_str(), before.moved, before.to_move), (id, "RUNNING", 12, 25));
        b = restart(b, &dir, &clock, checkpoint);
        assert_eq!(task(&b, "dlq"), before, "checkpoint {checkpoint}: the task came back changed");
        assert_eq!(bodies(&b, "dest").len(), 12);
        assert_eq!(bodies(&b, "dlq").len(), 13);
        // Still one running task per source after the restart.
        assert_eq!(start(&b, "dlq", "dest", None), Err(MoveTaskError::Running));
        // Time while the broker was down earns nothing: the next step moves one step's worth.
        clock.advance(60_000);
        b.step_move_tasks();
        assert_eq!(task(&b, "dlq").moved, 13);
        for _ in 0..20 {
            clock.advance(MOVE_TASK_STEP_MS);
            b.step_move_tasks();
        }
        let done = task(&b, "dlq");
        assert_eq!((done.status.as_str(), done.moved), ("COMPLETED", 25));
        // Every message once, all in the destination.
        let mut moved = bodies(&b, "dest");
        moved.sort();
        assert_eq!(moved, all);
        assert!(bodies(&b, "dlq").is_empty());
        b = restart(b, &dir, &clock, checkpoint);
        assert_eq!(task(&b, "dlq"), done);
        // A new task gets a new id, after the restart too.
        let (next, _) = start(&b, "dlq", "dest", None).expect("start");
        assert!(next > id);
        b.shutdown();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn cancelled_and_failed_tasks_and_history_survive_a_restart() {
    for checkpoint in [false, true] {
        let dir = temp_dir(&format!("history-{checkpoint}"));
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let mut b = open(&dir, &clock);
        create(&b, "dlq").unwrap();
        create(&b, "dest").unwrap();
        create(&b, "gone").unwrap();
        send(&b, "dlq", 5);
        let (first, _) = start(&b, "dlq", "dest", Some(1)).unwrap();
        clock.advance(1_000);
        b.step_move_tasks();
        let dlq = key(ACCOUNT, "dlq");
        assert_eq!(b.cancel_move_task(&dlq, first).map(|(moved, _)| moved), Ok(1));
        assert_eq!(b.cancel_move_task(&dlq, first), Err(MoveTaskError::NotFound));
        // A destination deleted under a running task fails it.
        let (second, _) = start(&b, "dlq", "gone", None).unwrap();
        b.delete_queue(&key(ACCOUNT, "gone")).unwrap();
        clock.advance(MOVE_TASK_STEP_MS);
        b.step_move_tasks();
        let before = b.move_tasks(&dlq).unwrap();
        let summary: Vec<_> = before.iter().map(|t| (t.id, t.status.as_str(), t.moved, t.failure_reason.clone())).collect();
        assert_eq!(
            summary,
            vec![(second, "FAILED", 0, Some("AWS.SimpleQueueService.NonExistentQueue".to_owned())), (first, "CANCELLED", 1, None)]
        );
        b = restart(b, &dir, &clock, checkpoint);
        assert_eq!(b.move_tasks(&dlq).unwrap(), before);
        assert_eq!(b.cancel_move_task(&dlq, first), Err(MoveTaskError::NotFound));
        // Deleting the source drops its tasks; a queue of the same name starts with none.
        b.delete_queue(&dlq).unwrap();
        b = restart(b, &dir, &clock, checkpoint);
        clock.advance(QUEUE_RECREATE_COOLDOWN_MS);
        create(&b, "dlq").unwrap();
        assert!(b.move_tasks(&dlq).unwrap().is_empty());
        b.shutdown();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn purge_and_recreate_cooldowns_survive_a_restart() {
    for checkpoint in [false, true] {
        let dir = temp_dir(&format!("cooldown-{checkpoint}"));
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let mut b = open(&dir, &clock);
        create(&b, "p").unwrap();
        create(&b, "d").unwrap();
        let (p, d) = (key(ACCOUNT, "p"), key(ACCOUNT, "d"));
        send(&b, "p", 3);
        assert_eq!(b.purge(&p).map(|(n, _)| n), Ok(3));
        b.delete_queue(&d).unwrap();
        clock.advance(PURGE_COOLDOWN_MS / 2);
        b = restart(b, &dir, &clock, checkpoint);
        assert_eq!(b.purge(&p), Err(PurgeError::InProgress));
        assert_eq!(create(&b, "d"), Err(CreateError::DeletedRecently));
        // Both end when their 60 s have passed since the purge and the deletion.
        clock.advance(PURGE_COOLDOWN_MS / 2);
        b = restart(b, &dir, &clock, checkpoint);
        assert_eq!(b.purge(&p).map(|(n, _)| n), Ok(0));
        assert!(create(&b, "d").is_ok_and(|(_, created, _)| created));
        b.shutdown();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
