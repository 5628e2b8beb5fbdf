//! Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): the
//! registry of tasks, one per broker so every HTTP worker thread sees the same tasks, with the
//! journal records that change it and their replay. The broker drives running tasks
//! (`Broker::step_move_tasks`); this file holds their state and the pacing of their rate.
//!
//! A task's state changes only through its records, live and in replay alike (`started`,
//! `progressed`, `ended`), so recovery rebuilds exactly what the running broker had:
//! - `MOVE_TASK_START`: id, source queue id, destination queue id (0: each message back to the
//!   queue its DeadLetterQueueSourceArn names), source ARN, destination ARN (empty: none given),
//!   rate (0: none given), number to move, started ms.
//! - `MOVE_TASK_PROGRESS`: id, messages moved so far. It rides in the same log record as the
//!   move it counts (copies and removals), so the count and the messages never disagree.
//! - `MOVE_TASK_END`: id, status, failure reason (empty: none).
//! - `MOVE_TASK_NEXT`: the next task id (snapshots only; the log's starts imply it).
//!
//! Tasks are keyed by source queue id, not name: a queue deleted and created again is a new
//! queue, and deleting a queue drops its tasks (replay does the same on `QUEUE_DELETE`).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::journal::{self, Dec, Enc, Malformed};
use crate::limits::{LIST_MOVE_TASKS_RESULTS_MAX, MOVE_TASK_MESSAGES_PER_S_MAX};

/// How often the timer thread steps running tasks. 100 ms: a rate of 1 message/s is still
/// exact (one message every tenth step), and the top rate moves 50 messages per step, one
/// log record each, far from a cost that matters.
pub const MOVE_TASK_STEP_MS: u64 = 100;

/// Tasks kept per source queue: as many as one ListMessageMoveTasks can return ("the most recent
/// message movement tasks (up to 10)"), so history past it could never be listed.
pub const MOVE_TASK_HISTORY_MAX: usize = LIST_MOVE_TASKS_RESULTS_MAX;

const TOP_RATE: u64 = MOVE_TASK_MESSAGES_PER_S_MAX as u64;
const _: () = assert!(TOP_RATE * MOVE_TASK_STEP_MS >= 1000, "the top rate moves at least one message per step");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Completed,
    Cancelled,
    Failed,
}

impl Status {
    /// The name ListMessageMoveTasks answers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
            Status::Failed => "FAILED",
        }
    }
    fn code(self) -> u8 {
        match self {
            Status::Running => 0,
            Status::Completed => 1,
            Status::Cancelled => 2,
            Status::Failed => 3,
        }
    }
    fn of_code(c: u8) -> Result<Self, Malformed> {
        match c {
            1 => Ok(Status::Completed),
            2 => Ok(Status::Cancelled),
            3 => Ok(Status::Failed),
            _ => Err(Malformed("move task end status")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveTask {
    pub id: u64,
    pub source_id: u64,
    /// 0: each message goes back to the queue its DeadLetterQueueSourceArn names.
    pub destination_id: u64,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    /// MaxNumberOfMessagesPerSecond as given; `None` runs at the top rate.
    pub rate: Option<u32>,
    pub status: Status,
    pub moved: u64,
    /// ApproximateNumberOfMessagesToMove: the source's visible messages when the task started.
    pub to_move: u64,
    pub started_ms: u64,
    pub failure_reason: Option<String>,
}

impl MoveTask {
    /// Messages per second this task may move.
    #[must_use]
    pub fn rate_per_s(&self) -> u64 {
        self.rate.map_or(TOP_RATE, u64::from)
    }
}

/// A running task's allowance, in thousandths of a message; not journaled (after a restart a
/// task starts from an empty allowance, which only ever slows it).
#[derive(Clone, Copy, Debug)]
struct Pace {
    milli: u64,
    last_ms: u64,
}

#[derive(Default)]
pub struct MoveTasks {
    /// Per source queue id, most recent first, at most `MOVE_TASK_HISTORY_MAX`.
    by_source: BTreeMap<u64, VecDeque<MoveTask>>,
    next_id: u64,
    pace: HashMap<u64, Pace>,
    /// Whether a step is scheduled on the timer thread (one chain of steps, never two).
    pub(crate) scheduled: bool,
}

impl MoveTasks {
    /// The id the next started task gets.
    #[must_use]
    pub fn next_id(&self) -> u64 {
        self.next_id.max(1)
    }

    /// The running task of a source queue: at most one (AWS allows one active task per source).
    #[must_use]
    pub fn active(&self, source_id: u64) -> Option<&MoveTask> {
        self.list(source_id).find(|t| t.status == Status::Running)
    }

    /// Tasks of a source queue, most recent first.
    pub fn list(&self, source_id: u64) -> impl Iterator<Item = &MoveTask> {
        self.by_source.get(&source_id).into_iter().flatten()
    }

    #[must_use]
    pub fn find(&self, source_id: u64, id: u64) -> Option<&MoveTask> {
        self.list(source_id).find(|t| t.id == id)
    }

    fn find_mut(&mut self, id: u64) -> Option<&mut MoveTask> {
        self.by_source.values_mut().flatten().find(|t| t.id == id)
    }

    #[must_use]
    pub fn has_running(&self) -> bool {
        self.by_source.values().flatten().any(|t| t.status == Status::Running)
    }

    /// Every running task (a copy: stepping one changes the registry).
    #[must_use]
    pub fn running(&self) -> Vec<MoveTask> {
        self.by_source.values().flatten().filter(|t| t.status == Status::Running).cloned().collect()
    }

    /// Every task, oldest first per source (a snapshot replays them in that order).
    pub fn all(&self) -> impl Iterator<Item = &MoveTask> {
        self.by_source.values().flat_map(|l| l.iter().rev())
    }

    pub fn started(&mut self, t: MoveTask, now_ms: u64) {
        assert_eq!(t.status, Status::Running);
        assert!(self.active(t.source_id).is_none(), "one running task per source queue");
        self.next_id = self.next_id.max(t.id + 1);
        self.pace.insert(t.id, Pace { milli: 0, last_ms: now_ms });
        let list = self.by_source.entry(t.source_id).or_default();
        list.push_front(t);
        // Only the newest can be running, so trimming never drops a running task.
        list.truncate(MOVE_TASK_HISTORY_MAX);
        assert!(list.iter().skip(1).all(|t| t.status != Status::Running));
    }

    /// A task's moved count; unknown ids are tasks whose source queue was deleted since.
    pub fn progressed(&mut self, id: u64, moved: u64) {
        if let Some(t) = self.find_mut(id) {
            assert!(moved >= t.moved, "a moved count never goes back");
            t.moved = moved;
        }
    }

    pub fn ended(&mut self, id: u64, status: Status, reason: Option<String>) {
        assert_ne!(status, Status::Running);
        self.pace.remove(&id);
        if let Some(t) = self.find_mut(id) {
            t.status = status;
            t.failure_reason = reason;
        }
    }

    /// The source queue was deleted: its tasks go with it.
    pub fn drop_source(&mut self, source_id: u64) {
        for t in self.by_source.remove(&source_id).into_iter().flatten() {
            self.pace.remove(&t.id);
        }
    }

    /// Restarts every running task's allowance at `now_ms` (after recovery: time while the
    /// broker was down earns nothing).
    pub fn reset_pace(&mut self, now_ms: u64) {
        let ids: Vec<u64> = self.running().iter().map(|t| t.id).collect();
        self.pace = ids.into_iter().map(|id| (id, Pace { milli: 0, last_ms: now_ms })).collect();
    }

    /// How many messages task `t` may move now. Unused allowance carries over for at most one
    /// step, so a step that comes late does not make the task burst past its rate.
    pub fn allowance(&mut self, t: &MoveTask, now_ms: u64) -> u64 {
        let rate = t.rate_per_s();
        let p = self.pace.entry(t.id).or_insert(Pace { milli: 0, last_ms: now_ms });
        let elapsed = now_ms.saturating_sub(p.last_ms);
        p.last_ms = p.last_ms.max(now_ms);
        let cap = (rate * MOVE_TASK_STEP_MS).max(1000);
        p.milli = (p.milli + rate.saturating_mul(elapsed)).min(cap);
        (p.milli / 1000).min(t.to_move.saturating_sub(t.moved))
    }

    /// Takes `n` moved messages off task `id`'s allowance.
    pub fn spend(&mut self, id: u64, n: u64) {
        if let Some(p) = self.pace.get_mut(&id) {
            assert!(p.milli >= n * 1000, "a step moves no more than its allowance");
            p.milli -= n * 1000;
        }
    }

    /// Encodes every task as the records that rebuild it (for a snapshot).
    pub fn encode(&self, e: &mut Enc) {
        e.u8(journal::MOVE_TASK_NEXT).u64(self.next_id());
        for t in self.all() {
            encode_start(e, t);
            if t.moved > 0 {
                encode_progress(e, t.id, t.moved);
            }
            if t.status != Status::Running {
                encode_end(e, t.id, t.status, t.failure_reason.as_deref());
            }
        }
    }

    /// Applies one task record (its tag already read).
    pub fn apply(&mut self, tag: u8, d: &mut Dec) -> Result<(), Malformed> {
        match tag {
            journal::MOVE_TASK_START => {
                let (id, source_id, destination_id) = (d.u64()?, d.u64()?, d.u64()?);
                let source_arn = d.str()?.to_owned();
                let destination_arn = d.opt()?.map(str::to_owned);
                let rate = d.u32()?;
                let (to_move, started_ms) = (d.u64()?, d.u64()?);
                if self.active(source_id).is_some() {
                    return Err(Malformed("a second running move task for one source queue"));
                }
                let t = MoveTask {
                    id,
                    source_id,
                    destination_id,
                    source_arn,
                    destination_arn,
                    rate: (rate != 0).then_some(rate),
                    status: Status::Running,
                    moved: 0,
                    to_move,
                    started_ms,
                    failure_reason: None,
                };
                self.started(t, 0);
            }
            journal::MOVE_TASK_PROGRESS => {
                let (id, moved) = (d.u64()?, d.u64()?);
                self.progressed(id, moved);
            }
            journal::MOVE_TASK_END => {
                let id = d.u64()?;
                let status = Status::of_code(d.u8()?)?;
                let reason = d.opt()?.map(str::to_owned);
                self.ended(id, status, reason);
            }
            journal::MOVE_TASK_NEXT => self.next_id = self.next_id.max(d.u64()?),
            _ => return Err(Malformed("not a move task record")),
        }
        Ok(())
    }
}

pub fn encode_start(e: &mut Enc, t: &MoveTask) {
    assert!(t.rate.is_none_or(|r| r > 0), "0 stands for no rate given");
    e.u8(journal::MOVE_TASK_START).u64(t.id).u64(t.source_id).u64(t.destination_id);
    e.blob(t.source_arn.as_bytes()).opt(t.destination_arn.as_deref());
    e.u32(t.rate.unwrap_or(0)).u64(t.to_move).u64(t.started_ms);
}

pub fn encode_progress(e: &mut Enc, id: u64, moved: u64) {
    e.u8(journal::MOVE_TASK_PROGRESS).u64(id).u64(moved);
}

pub fn encode_end(e: &mut Enc, id: u64, status: Status, reason: Option<&str>) {
    assert_ne!(status, Status::Running);
    e.u8(journal::MOVE_TASK_END).u64(id).u8(status.code()).opt(reason);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: u64, source_id: u64, rate: Option<u32>, to_move: u64) -> MoveTask {
        MoveTask {
            id,
            source_id,
            destination_id: 0,
            source_arn: "arn:aws:sqs:us-east-1:000000000000:dlq".into(),
            destination_arn: None,
            rate,
            status: Status::Running,
            moved: 0,
            to_move,
            started_ms: 5,
            failure_reason: None,
        }
    }

    #[test]
    fn records_rebuild_the_registry() {
        let mut live = MoveTasks::default();
        let mut log = Enc::default();
        for id in 1..=12 {
            let t = task(id, 7, Some(3), 20);
            encode_start(&mut log, &t);
            live.started(t, 0);
            encode_progress(&mut log, id, 4);
            live.progressed(id, 4);
            if id < 12 {
                encode_end(&mut log, id, Status::Cancelled, None);
                live.ended(id, Status::Cancelled, None);
            }
        }
        let failed = task(13, 8, None, 1);
        encode_start(&mut log, &failed);
        live.started(failed, 0);
        encode_end(&mut log, 13, Status::Failed, Some("AWS.SimpleQueueService.NonExistentQueue"));
        live.ended(13, Status::Failed, Some("AWS.SimpleQueueService.NonExistentQueue".into()));
        assert_eq!(live.list(7).count(), MOVE_TASK_HISTORY_MAX);
        assert_eq!(live.active(7).map(|t| t.id), Some(12));

        let replay = |bytes: &[u8]| {
            let mut r = MoveTasks::default();
            let mut d = Dec::new(bytes);
            while !d.done() {
                let tag = d.u8().unwrap();
                r.apply(tag, &mut d).unwrap();
            }
            r
        };
        let mut snap = Enc::default();
        live.encode(&mut snap);
        for rebuilt in [replay(&log.buf), replay(&snap.buf)] {
            assert_eq!(rebuilt.next_id(), 14);
            for source in [7, 8] {
                let a: Vec<_> = live.list(source).collect();
                let b: Vec<_> = rebuilt.list(source).collect();
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn allowance_follows_the_rate_and_never_bursts() {
        let mut r = MoveTasks::default();
        r.started(task(1, 1, Some(1), 100), 1_000);
        let t = r.running()[0].clone();
        assert_eq!(r.allowance(&t, 1_500), 0);
        assert_eq!(r.allowance(&t, 2_000), 1);
        r.spend(1, 1);
        // A long pause earns at most one step's worth (here one message at 1/s).
        assert_eq!(r.allowance(&t, 60_000), 1);
        r.started(task(2, 2, None, 3), 0);
        let top = r.running().into_iter().find(|t| t.id == 2).unwrap();
        // The top rate, capped by what is left to move.
        assert_eq!(r.allowance(&top, MOVE_TASK_STEP_MS), 3);
    }
}
