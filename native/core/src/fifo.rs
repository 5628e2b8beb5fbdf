//! Ready messages, kept per message group.
//!
//! FIFO queues deliver each group in send order and hold a group while any of its messages is in
//! flight. Standard queues use the same lists as fair queues (AWS, 2025): messages with a group
//! id are tenants, served round-robin so one noisy group cannot starve the others; messages
//! without one share the default group. Lists are lazy: an entry whose message was removed (by
//! retention or purge) is skipped when reached, so removal never searches a list.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

#[derive(Default)]
struct Group {
    /// Message sequence numbers in delivery order.
    ready: VecDeque<u64>,
    /// FIFO only: messages of this group currently leased.
    inflight: u32,
    /// Whether the group is in `Groups::rotation`.
    queued: bool,
}

pub struct Groups {
    fifo: bool,
    groups: HashMap<Arc<str>, Group>,
    /// Groups that have ready messages and may deliver (FIFO: none of theirs in flight).
    rotation: VecDeque<Arc<str>>,
    default_group: Arc<str>,
}

impl Groups {
    #[must_use]
    pub fn new(fifo: bool) -> Self {
        Self { fifo, groups: HashMap::new(), rotation: VecDeque::new(), default_group: Arc::from("") }
    }

    fn key(&self, group: Option<&Arc<str>>) -> Arc<str> {
        group.map_or_else(|| self.default_group.clone(), Arc::clone)
    }

    /// A newly sent or newly visible message goes to the back of its group.
    pub fn push_back(&mut self, group: Option<&Arc<str>>, seq: u64) {
        let key = self.key(group);
        let g = self.groups.entry(key.clone()).or_default();
        g.ready.push_back(seq);
        Self::requeue(self.fifo, &mut self.rotation, key, g);
    }

    /// A message whose lease expired goes back in sequence order: FIFO redelivers it before
    /// anything later in its group; a standard queue redelivers it soon.
    pub fn push_returned(&mut self, group: Option<&Arc<str>>, seq: u64) {
        let key = self.key(group);
        let g = self.groups.entry(key.clone()).or_default();
        if self.fifo {
            assert!(g.inflight > 0, "a returned FIFO message was counted in flight");
            g.inflight -= 1;
            let at = g.ready.partition_point(|&s| s < seq);
            g.ready.insert(at, seq);
        } else {
            g.ready.push_front(seq);
        }
        Self::requeue(self.fifo, &mut self.rotation, key, g);
    }

    /// A recovered in-flight FIFO message holds its group, as it did before the restart.
    pub fn hold(&mut self, group: Option<&Arc<str>>) {
        if self.fifo {
            let key = self.key(group);
            self.groups.entry(key).or_default().inflight += 1;
        }
    }

    /// A leased message was deleted (or dropped by retention): FIFO may open its group again.
    pub fn release(&mut self, group: Option<&Arc<str>>) {
        if !self.fifo {
            return;
        }
        let key = self.key(group);
        let Some(g) = self.groups.get_mut(&key) else { panic!("released a group that is not tracked") };
        assert!(g.inflight > 0, "released more FIFO messages than were in flight");
        g.inflight -= 1;
        if g.inflight == 0 && g.ready.is_empty() {
            self.groups.remove(&key);
        } else {
            Self::requeue(self.fifo, &mut self.rotation, key, g);
        }
    }

    fn requeue(fifo: bool, rotation: &mut VecDeque<Arc<str>>, key: Arc<str>, g: &mut Group) {
        let open = !fifo || g.inflight == 0;
        if open && !g.queued && !g.ready.is_empty() {
            g.queued = true;
            rotation.push_back(key);
        }
    }

    /// Picks up to `max` messages. `take(seq)` says whether the message may be delivered (it may
    /// be gone, or be moved to a dead-letter queue instead); a taken FIFO message holds its group.
    pub fn pick(&mut self, max: usize, mut take: impl FnMut(u64) -> Pick) -> usize {
        let mut taken = 0;
        let mut rounds = self.rotation.len();
        while taken < max {
            let Some(key) = self.rotation.pop_front() else { break };
            let g = self.groups.get_mut(&key).expect("rotation names a tracked group");
            g.queued = false;
            // A FIFO group that came to hold a message in flight after it was queued (a
            // recovered lease) waits; `release` or `push_returned` queues it again.
            if self.fifo && g.inflight > 0 {
                continue;
            }
            // FIFO: as many in order as fit; standard: one per group per turn, for fairness.
            let per_turn = if self.fifo { max - taken } else { 1 };
            let mut this_turn = 0;
            while this_turn < per_turn {
                let Some(seq) = g.ready.pop_front() else { break };
                match take(seq) {
                    Pick::Taken => {
                        this_turn += 1;
                        if self.fifo {
                            g.inflight += 1;
                        }
                    }
                    Pick::Skipped => {}
                    Pick::Stop => {
                        g.ready.push_front(seq);
                        Self::requeue_front(self.fifo, &mut self.rotation, key, g);
                        return taken + this_turn;
                    }
                }
            }
            taken += this_turn;
            if g.inflight == 0 && g.ready.is_empty() {
                self.groups.remove(&key);
            } else {
                Self::requeue(self.fifo, &mut self.rotation, key, g);
            }
            // A standard queue with one group would otherwise loop once per message; that is
            // fine, but stop if a whole pass over the rotation found nothing.
            if this_turn == 0 {
                rounds = rounds.saturating_sub(1);
                if rounds == 0 {
                    break;
                }
            }
        }
        taken
    }

    fn requeue_front(fifo: bool, rotation: &mut VecDeque<Arc<str>>, key: Arc<str>, g: &mut Group) {
        let open = !fifo || g.inflight == 0;
        if open && !g.queued && !g.ready.is_empty() {
            g.queued = true;
            rotation.push_front(key);
        }
    }

    pub fn clear(&mut self) {
        self.groups.clear();
        self.rotation.clear();
    }

    /// Groups currently tracked (for bounds and stats).
    #[must_use]
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Taken,
    /// The entry is stale or was diverted; try the next one.
    Skipped,
    /// Stop picking (a limit was reached); the entry stays where it was.
    Stop,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Option<Arc<str>> {
        Some(Arc::from(s))
    }

    #[test]
    fn fifo_holds_a_group_while_in_flight() {
        let mut gs = Groups::new(true);
        for seq in 1..=3 {
            gs.push_back(g("a").as_ref(), seq);
        }
        gs.push_back(g("b").as_ref(), 4);
        let mut got = vec![];
        assert_eq!(gs.pick(2, |s| { got.push(s); Pick::Taken }), 2);
        assert_eq!(got, [1, 2]);
        got.clear();
        gs.pick(10, |s| { got.push(s); Pick::Taken });
        assert_eq!(got, [4], "group a is held while 1 and 2 are in flight");
        gs.push_returned(g("a").as_ref(), 2);
        got.clear();
        gs.pick(10, |s| { got.push(s); Pick::Taken });
        assert!(got.is_empty(), "1 is still in flight");
        gs.release(g("a").as_ref());
        gs.pick(10, |s| { got.push(s); Pick::Taken });
        assert_eq!(got, [2, 3], "the returned message comes back first, in order");
    }

    #[test]
    fn a_group_that_gains_a_lease_after_it_was_queued_waits() {
        // Recovery inserts in sequence order: a visible message may queue its group before a
        // later message's lease is restored.
        let mut gs = Groups::new(true);
        gs.push_back(g("a").as_ref(), 1);
        gs.hold(g("a").as_ref());
        assert_eq!(gs.pick(10, |_| Pick::Taken), 0);
        gs.release(g("a").as_ref());
        let mut got = vec![];
        gs.pick(10, |s| { got.push(s); Pick::Taken });
        assert_eq!(got, [1]);
    }

    #[test]
    fn standard_groups_are_served_round_robin() {
        let mut gs = Groups::new(false);
        for seq in 0..1000 {
            gs.push_back(g("noisy").as_ref(), seq);
        }
        for seq in 1000..1003 {
            gs.push_back(g("quiet").as_ref(), seq);
        }
        let mut got = vec![];
        gs.pick(6, |s| { got.push(s); Pick::Taken });
        assert_eq!(got.iter().filter(|&&s| s >= 1000).count(), 3);
    }

    #[test]
    fn stale_entries_are_skipped_and_stop_keeps_place() {
        let mut gs = Groups::new(false);
        for seq in 0..5 {
            gs.push_back(None, seq);
        }
        let mut got = vec![];
        gs.pick(10, |s| if s % 2 == 0 { got.push(s); Pick::Taken } else { Pick::Skipped });
        assert_eq!(got, [0, 2, 4]);
        for seq in 5..8 {
            gs.push_back(None, seq);
        }
        assert_eq!(gs.pick(10, |s| if s == 6 { Pick::Stop } else { Pick::Taken }), 1);
        let mut rest = vec![];
        gs.pick(10, |s| { rest.push(s); Pick::Taken });
        assert_eq!(rest, [6, 7]);
    }
}
