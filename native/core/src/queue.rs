//! One queue's state: messages and the indexes of their states, leases, delays, retention, FIFO
//! groups and deduplication. Every method takes `now_ms`; none reads a clock or takes a lock
//! (the broker holds the queue's mutex around each call).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::dedup::{DedupWindow, Original};
use crate::fifo::{Groups, Pick};
use crate::journal::{self, Enc};
use crate::limits::{
    INFLIGHT_PER_QUEUE_MAX, RECEIVE_REQUEST_ATTEMPT_WINDOW_MS, VISIBILITY_TIMEOUT_S_MAX,
};
use crate::message::{Extra, Message, Payload, State};
use crate::receipt::Receipt;
use crate::spill::SpillStore;

/// Where redrive sends a message received too often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redrive {
    /// Broker key (`account/name`) of the dead-letter queue.
    pub dead_letter_key: Arc<str>,
    pub max_receive_count: u32,
}

/// The attributes the core acts on, already validated by the control plane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    pub fifo: bool,
    pub visibility_timeout_s: u32,
    pub delay_s: u32,
    pub retention_s: u32,
    pub maximum_message_bytes: u32,
    /// ReceiveMessageWaitTimeSeconds: the long-poll wait when a receive names none.
    pub receive_wait_s: u32,
    pub content_based_dedup: bool,
    /// DeduplicationScope=messageGroup.
    pub dedup_per_group: bool,
    pub redrive: Option<Redrive>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            fifo: false,
            visibility_timeout_s: 30,
            delay_s: 0,
            retention_s: 345_600,
            maximum_message_bytes: 1_048_576,
            receive_wait_s: 0,
            content_based_dedup: false,
            dedup_per_group: false,
            redrive: None,
        }
    }
}

pub struct SendEntry<'a> {
    /// Size as AWS counts it against MaximumMessageSize: body plus attribute names, types, values.
    pub size: u32,
    pub body: &'a [u8],
    pub attributes: &'a [u8],
    pub body_md5: [u8; 16],
    pub attributes_md5: Option<[u8; 16]>,
    /// `None`: the queue's DelaySeconds.
    pub delay_s: Option<u32>,
    pub group_id: Option<&'a str>,
    /// For FIFO: the explicit MessageDeduplicationId, or the body's SHA-256 when the control
    /// plane derived it (then `dedup_from_content` is set and the queue must allow it).
    pub dedup_id: Option<&'a str>,
    pub dedup_from_content: bool,
    pub trace_header: Option<&'a str>,
}

impl<'a> SendEntry<'a> {
    /// `body` with no attributes, delay, group or deduplication id (tests and examples; the
    /// binding fills every field from the request).
    #[must_use]
    pub fn plain(body: &'a [u8]) -> Self {
        Self {
            size: u32::try_from(body.len()).expect("a message body fits in u32"),
            body,
            attributes: b"",
            body_md5: [0; 16],
            attributes_md5: None,
            delay_s: None,
            group_id: None,
            dedup_id: None,
            dedup_from_content: false,
            trace_header: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Body plus attributes exceed the queue's MaximumMessageSize.
    TooLarge { maximum_message_bytes: u32 },
    /// FIFO without MessageDeduplicationId on a queue without ContentBasedDeduplication.
    DedupIdRequired,
    /// FIFO without MessageGroupId.
    GroupIdRequired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub message_id: [u8; 16],
    pub sequence_number: u64,
    /// Inside the dedup window of an earlier send: accepted, not enqueued again.
    pub duplicate: bool,
    pub seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// Not a handle for this queue at all.
    Invalid,
    /// A real handle whose lease is over (expired, superseded by a later receive, or deleted).
    NotInflight,
    /// ChangeMessageVisibility past 12 hours from the receive.
    TooLong,
    /// FIFO: the lease of this handle ran out.
    Expired,
}

pub struct Delivery {
    pub receipt: Receipt,
    pub message: Message,
}

/// Side effects the broker carries out after releasing the queue's lock.
#[derive(Default)]
pub struct Effects {
    /// Workers with receives parked on this queue that should try again now.
    pub wake_workers: u64,
    /// When something becomes visible next, if a parked receive waits for it.
    pub timer_ms: Option<u64>,
    /// Messages to move to the dead-letter queue.
    pub dead_lettered: Vec<(u64, Message)>,
    /// Journal sub-records of the changes made, when the broker keeps a log.
    pub journal: Option<Enc>,
}

impl Effects {
    #[must_use]
    pub fn journaled(on: bool) -> Self {
        Self { journal: on.then(Enc::default), ..Self::default() }
    }
}

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub visible: u64,
    pub inflight: u64,
    pub delayed: u64,
    pub oldest_sent_ms: Option<u64>,
}

struct Attempt {
    expires_ms: u64,
    leases: Vec<(u64, u32)>,
}

pub struct QueueState {
    pub id: u64,
    /// Where payloads go past the memory budget (none in memory-only mode).
    spill: Option<Arc<SpillStore>>,
    pub config: QueueConfig,
    /// Boxed: a B-tree node then holds 8-byte pointers, so its unused slots cost little
    /// (appends in sequence order leave nodes about half full).
    messages: BTreeMap<u64, Box<Message>>,
    ready: Groups,
    inflight: BTreeSet<(u64, u64)>,
    delayed: BTreeSet<(u64, u64)>,
    next_seq: u64,
    next_sequence_number: u64,
    dedup: DedupWindow,
    attempts: HashMap<Box<str>, Attempt>,
    /// Bit per worker thread with a receive parked here.
    parked_workers: u64,
    /// Source of message ids; per queue so no lock is shared between queues.
    ids: IdSource,
}

/// FIFO sequence numbers are 20 digits on AWS; starting here keeps them that long.
const SEQUENCE_NUMBER_BASE: u64 = 10_000_000_000_000_000_000;

impl QueueState {
    #[must_use]
    pub fn new(id: u64, config: QueueConfig, id_seed: u64) -> Self {
        let fifo = config.fifo;
        Self {
            id,
            spill: None,
            config,
            messages: BTreeMap::new(),
            ready: Groups::new(fifo),
            inflight: BTreeSet::new(),
            delayed: BTreeSet::new(),
            next_seq: 1,
            next_sequence_number: SEQUENCE_NUMBER_BASE,
            dedup: DedupWindow::default(),
            attempts: HashMap::new(),
            parked_workers: 0,
            ids: IdSource::new(id_seed),
        }
    }

    /// Why this queue would refuse `e`, if it would: checked by `send`, and before a whole
    /// batch is stored (`Broker::send_batch_whole`).
    pub fn send_refusal(&self, e: &SendEntry) -> Option<SendError> {
        if e.size > self.config.maximum_message_bytes {
            return Some(SendError::TooLarge { maximum_message_bytes: self.config.maximum_message_bytes });
        }
        if self.config.fifo {
            if e.group_id.is_none() {
                return Some(SendError::GroupIdRequired);
            }
            if e.dedup_id.is_none() || (e.dedup_from_content && !self.config.content_based_dedup) {
                return Some(SendError::DedupIdRequired);
            }
        }
        None
    }

    pub fn send(&mut self, e: &SendEntry, sender_id: &Arc<str>, now_ms: u64, fx: &mut Effects) -> Result<Sent, SendError> {
        if let Some(refused) = self.send_refusal(e) {
            return Err(refused);
        }
        let group: Option<Arc<str>> = e.group_id.map(Arc::from);
        let mut dedup_key = None;
        if self.config.fifo {
            let (Some(g), Some(d)) = (e.group_id, e.dedup_id) else { unreachable!("send_refusal checked both") };
            let key = if self.config.dedup_per_group { format!("{g}\u{0}{d}") } else { d.to_owned() };
            if let Some(o) = self.dedup.lookup(&key, now_ms) {
                return Ok(Sent { message_id: o.message_id, sequence_number: o.sequence_number, duplicate: true, seq: 0 });
            }
            dedup_key = Some(key);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let sequence_number = if self.config.fifo {
            self.next_sequence_number += 1;
            self.next_sequence_number
        } else {
            0
        };
        let message_id = self.ids.next_uuid();
        if let Some(key) = &dedup_key {
            self.dedup.record(key, Original { message_id, sequence_number }, now_ms);
        }
        let delay_s = e.delay_s.unwrap_or(self.config.delay_s);
        let state = if delay_s == 0 { State::Ready } else { State::Delayed(now_ms + u64::from(delay_s) * 1000) };
        let message = Message {
            id: message_id,
            payload: Payload::new(e.body, e.attributes),
            body_md5: e.body_md5,
            attributes_md5: e.attributes_md5,
            sent_ms: now_ms,
            sender_id: sender_id.clone(),
            group_id: group,
            sequence_number,
            receive_count: 0,
            first_receive_ms: 0,
            lease_start_ms: 0,
            lease_gen: 0,
            extra: Extra::of(e.trace_header, e.dedup_id, None),
            state,
        };
        if let Some(j) = &mut fx.journal {
            j.u8(journal::MESSAGE).message(self.id, seq, &message, dedup_key.as_deref());
        }
        self.insert(seq, message, fx);
        Ok(Sent { message_id, sequence_number, duplicate: false, seq })
    }

    pub fn set_spill(&mut self, store: Option<Arc<SpillStore>>) {
        self.spill = store;
    }

    /// Counts a stored payload against the memory budget, or moves it to the spill file.
    fn hold(&self, m: &mut Message) {
        if let Some(store) = &self.spill {
            m.payload.admit(store);
        }
    }

    /// The payload of a message that leaves this queue no longer counts in memory; when it
    /// leaves the broker (not `moving` to another queue), a spilled one is forgotten too.
    fn unhold(spill: Option<&Arc<SpillStore>>, m: &Message, moving: bool) {
        let Some(store) = spill else { return };
        if !(moving && m.payload.is_spilled()) {
            m.payload.release(store);
        }
    }

    /// Puts a message (new, recovered or dead-lettered) into the index its state names.
    pub fn insert(&mut self, seq: u64, mut message: Message, fx: &mut Effects) {
        self.hold(&mut message);
        self.next_seq = self.next_seq.max(seq + 1);
        self.next_sequence_number = self.next_sequence_number.max(message.sequence_number);
        match message.state {
            State::Ready => {
                self.ready.push_back(message.group_id.as_ref(), seq);
                self.wake(fx);
            }
            State::Delayed(due) => {
                self.delayed.insert((due, seq));
                self.timer(due, fx);
            }
            State::Inflight(deadline) => {
                self.inflight.insert((deadline, seq));
                self.ready.hold(message.group_id.as_ref());
                self.timer(deadline, fx);
            }
        }
        assert!(self.messages.insert(seq, Box::new(message)).is_none(), "sequence numbers are unique");
    }

    /// Next sequence number to assign (for a dead-letter move into this queue).
    pub fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn wake(&mut self, fx: &mut Effects) {
        fx.wake_workers |= self.parked_workers;
        self.parked_workers = 0;
    }

    fn timer(&self, due_ms: u64, fx: &mut Effects) {
        if self.parked_workers != 0 {
            fx.timer_ms = Some(fx.timer_ms.map_or(due_ms, |t| t.min(due_ms)));
        }
    }

    /// Applies everything time has done by `now_ms`: delays ending, leases expiring, retention.
    pub fn tick(&mut self, now_ms: u64, fx: &mut Effects) {
        let retention_ms = u64::from(self.config.retention_s) * 1000;
        while let Some((&seq, m)) = self.messages.first_key_value() {
            if m.sent_ms + retention_ms > now_ms {
                break;
            }
            self.remove(seq);
        }
        while let Some(&(due, seq)) = self.delayed.first() {
            if due > now_ms {
                break;
            }
            self.delayed.pop_first();
            let m = self.messages.get_mut(&seq).expect("delayed index names a stored message");
            m.state = State::Ready;
            self.ready.push_back(m.group_id.as_ref(), seq);
            self.wake(fx);
        }
        while let Some(&(deadline, seq)) = self.inflight.first() {
            if deadline > now_ms {
                break;
            }
            self.inflight.pop_first();
            let m = self.messages.get_mut(&seq).expect("inflight index names a stored message");
            m.state = State::Ready;
            self.ready.push_returned(m.group_id.as_ref(), seq);
            self.wake(fx);
        }
    }

    /// Drops a message from every index it is in.
    fn remove(&mut self, seq: u64) -> Option<Message> {
        self.detach(seq, false)
    }

    /// Drops a message from every index; `moving` when it goes on to another queue.
    fn detach(&mut self, seq: u64, moving: bool) -> Option<Message> {
        let m = *self.messages.remove(&seq)?;
        Self::unhold(self.spill.as_ref(), &m, moving);
        match m.state {
            State::Ready => {} // its ready entry is skipped when reached
            State::Delayed(due) => {
                assert!(self.delayed.remove(&(due, seq)));
            }
            State::Inflight(deadline) => {
                assert!(self.inflight.remove(&(deadline, seq)));
                self.ready.release(m.group_id.as_ref());
            }
        }
        Some(m)
    }

    /// Leases up to `max` messages. With `park_worker` set and nothing delivered, the worker is
    /// registered for a wake-up when the queue gains a visible message.
    #[allow(clippy::too_many_arguments)]
    pub fn receive(
        &mut self,
        max: usize,
        visibility_s: Option<u32>,
        attempt_id: Option<&str>,
        park_worker: Option<u32>,
        now_ms: u64,
        fx: &mut Effects,
        out: &mut Vec<Delivery>,
    ) -> Result<(), ReceiveError> {
        assert!(max >= 1);
        self.tick(now_ms, fx);
        if let Some(id) = attempt_id {
            self.attempts.retain(|_, a| a.expires_ms > now_ms);
            if let Some(a) = self.attempts.get(id) {
                let same: Vec<_> = a.leases.iter().filter_map(|&(seq, gen)| {
                    let m = self.messages.get(&seq)?;
                    (m.lease_gen == gen && matches!(m.state, State::Inflight(_))).then(|| Delivery {
                        receipt: Receipt { queue_id: 0, seq, lease_gen: gen },
                        message: (**m).clone(),
                    })
                }).collect();
                if same.len() == a.leases.len() && !same.is_empty() {
                    out.extend(same);
                    return Ok(());
                }
                self.attempts.remove(id);
            }
        }
        let visibility_ms = u64::from(visibility_s.unwrap_or(self.config.visibility_timeout_s)) * 1000;
        let redrive = self.config.redrive.clone();
        let fifo = self.config.fifo;
        let inflight_room = INFLIGHT_PER_QUEUE_MAX.saturating_sub(self.inflight.len());
        if inflight_room == 0 && !fifo && !self.ready_is_empty() {
            return Err(ReceiveError::OverLimit);
        }
        let start = out.len();
        let messages = &mut self.messages;
        let inflight = &mut self.inflight;
        let dead = &mut fx.dead_lettered;
        let log = &mut fx.journal;
        let queue_id = self.id;
        let spill = self.spill.clone();
        self.ready.pick(max.min(inflight_room), |seq| {
            let Some(m) = messages.get_mut(&seq) else { return Pick::Skipped };
            if m.state != State::Ready {
                return Pick::Skipped;
            }
            if let Some(r) = &redrive {
                if m.receive_count >= r.max_receive_count {
                    let m = *messages.remove(&seq).expect("just looked up");
                    Self::unhold(spill.as_ref(), &m, true);
                    dead.push((seq, m));
                    return Pick::Skipped;
                }
            }
            m.receive_count += 1;
            if m.first_receive_ms == 0 {
                m.first_receive_ms = now_ms;
            }
            m.lease_gen = m.lease_gen.wrapping_add(1);
            m.lease_start_ms = now_ms;
            let deadline = now_ms + visibility_ms;
            m.state = State::Inflight(deadline);
            inflight.insert((deadline, seq));
            if let Some(j) = log {
                j.u8(journal::RECEIVE).u64(queue_id).u64(seq).u32(m.lease_gen).u64(deadline);
                j.u32(m.receive_count).u64(m.first_receive_ms).u64(m.lease_start_ms);
            }
            out.push(Delivery { receipt: Receipt { queue_id: 0, seq, lease_gen: m.lease_gen }, message: (**m).clone() });
            Pick::Taken
        });
        if out.len() == start {
            if let Some(w) = park_worker {
                self.parked_workers |= 1u64 << w;
                if let Some(due) = self.next_due() {
                    self.timer(due, fx);
                }
            }
        } else {
            let deadline = now_ms + visibility_ms;
            self.timer(deadline, fx);
            if let (Some(id), true) = (attempt_id, fifo) {
                let leases = out[start..].iter().map(|d| (d.receipt.seq, d.receipt.lease_gen)).collect();
                self.attempts.insert(id.into(), Attempt { expires_ms: now_ms + RECEIVE_REQUEST_ATTEMPT_WINDOW_MS, leases });
            }
        }
        Ok(())
    }

    fn ready_is_empty(&self) -> bool {
        self.messages.len() == self.inflight.len() + self.delayed.len()
    }

    fn next_due(&self) -> Option<u64> {
        let d = self.delayed.first().map(|&(t, _)| t);
        let i = self.inflight.first().map(|&(t, _)| t);
        match (d, i) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Deletes the message a handle names. A handle superseded by a later receive succeeds
    /// without deleting, as the DeleteMessage reference documents.
    /// Why `delete` would refuse `r` now (after `tick`), if it would. A handle of a message
    /// gone or received again since is not a refusal: it succeeds without deleting.
    pub fn delete_refusal(&self, r: Receipt) -> Option<HandleError> {
        let m = self.messages.get(&r.seq).filter(|m| m.lease_gen == r.lease_gen)?;
        (self.config.fifo && !matches!(m.state, State::Inflight(_))).then_some(HandleError::Expired)
    }

    pub fn delete(&mut self, r: Receipt, now_ms: u64, fx: &mut Effects) -> Result<bool, HandleError> {
        self.tick(now_ms, fx);
        if let Some(refused) = self.delete_refusal(r) {
            return Err(refused);
        }
        let Some(m) = self.messages.get(&r.seq) else { return Ok(false) };
        if m.lease_gen != r.lease_gen {
            return Ok(false);
        }
        let was_inflight = matches!(m.state, State::Inflight(_));
        self.remove(r.seq);
        if let Some(j) = &mut fx.journal {
            j.u8(journal::DELETE).u64(self.id).u64(r.seq);
        }
        if was_inflight && self.config.fifo {
            self.wake(fx); // the group may have opened
        }
        Ok(true)
    }

    /// A handle whose lease ran out still works on a standard queue until the message is
    /// received again (recorded AWS behaviour): the change leases it anew.
    pub fn change_visibility(&mut self, r: Receipt, timeout_s: u32, now_ms: u64, fx: &mut Effects) -> Result<(), HandleError> {
        self.tick(now_ms, fx);
        let fifo = self.config.fifo;
        let Some(m) = self.messages.get_mut(&r.seq) else { return Err(HandleError::NotInflight) };
        if m.lease_gen != r.lease_gen {
            return Err(HandleError::NotInflight);
        }
        let old = match m.state {
            State::Inflight(old) => Some(old),
            State::Ready if fifo => return Err(HandleError::Expired),
            State::Ready => None,
            State::Delayed(_) => return Err(HandleError::NotInflight),
        };
        let deadline = now_ms + u64::from(timeout_s) * 1000;
        if deadline > m.lease_start_ms + VISIBILITY_TIMEOUT_S_MAX * 1000 {
            return Err(HandleError::TooLong);
        }
        if let Some(old) = old {
            assert!(self.inflight.remove(&(old, r.seq)));
        } else if timeout_s == 0 {
            return Ok(()); // visible already
        }
        if let Some(j) = &mut fx.journal {
            let (kind, at) = if timeout_s == 0 { (0, 0) } else { (2, deadline) };
            j.u8(journal::VISIBILITY).u64(self.id).u64(r.seq).u8(kind).u64(at);
        }
        if timeout_s == 0 {
            m.state = State::Ready;
            self.ready.push_returned(m.group_id.as_ref(), r.seq);
            self.wake(fx);
        } else {
            // A re-leased standard message keeps its stale ready entry; `pick` skips it
            // while the message is in flight.
            m.state = State::Inflight(deadline);
            self.inflight.insert((deadline, r.seq));
            self.timer(deadline, fx);
        }
        Ok(())
    }

    /// Removes up to `max` visible messages in send order (a message move task), journaling
    /// their removal. In-flight and delayed messages stay.
    pub fn take_ready(&mut self, max: usize, fx: &mut Effects) -> Vec<(u64, Message)> {
        let seqs: Vec<u64> = self.messages.iter().filter(|(_, m)| m.state == State::Ready).take(max).map(|(&s, _)| s).collect();
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let m = self.detach(seq, true).expect("listed just now");
            if let Some(j) = &mut fx.journal {
                j.u8(journal::DELETE).u64(self.id).u64(seq);
            }
            out.push((seq, m));
        }
        out
    }

    pub fn purge(&mut self, fx: &mut Effects) -> usize {
        if let Some(j) = &mut fx.journal {
            j.u8(journal::PURGE).u64(self.id);
        }
        let n = self.messages.len();
        for m in self.messages.values() {
            Self::unhold(self.spill.as_ref(), m, false);
        }
        self.messages.clear();
        self.ready.clear();
        self.inflight.clear();
        self.delayed.clear();
        self.attempts.clear();
        n
    }

    pub fn counts(&mut self, now_ms: u64, fx: &mut Effects) -> Counts {
        self.tick(now_ms, fx);
        Counts {
            visible: (self.messages.len() - self.inflight.len() - self.delayed.len()) as u64,
            inflight: self.inflight.len() as u64,
            delayed: self.delayed.len() as u64,
            oldest_sent_ms: self.messages.first_key_value().map(|(_, m)| m.sent_ms),
        }
    }

    /// Wakes parked workers if the queue has something visible now.
    pub fn wake_if_parked(&mut self, fx: &mut Effects) {
        if self.parked_workers != 0 {
            if self.ready_is_empty() {
                if let Some(due) = self.next_due() {
                    self.timer(due, fx);
                }
            } else {
                self.wake(fx);
            }
        }
    }

    /// Every parked worker, cleared (the queue is going away).
    pub fn take_parked(&mut self) -> u64 {
        std::mem::take(&mut self.parked_workers)
    }

    /// Forgets a parked worker (its receive timed out or was answered elsewhere).
    pub fn unpark(&mut self, worker: u32) {
        self.parked_workers &= !(1u64 << worker);
    }

    /// Every stored message, for snapshots and peeking.
    pub fn messages(&self) -> impl Iterator<Item = (&u64, &Message)> {
        self.messages.iter().map(|(k, m)| (k, &**m))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn dedup(&mut self) -> &mut DedupWindow {
        &mut self.dedup
    }

    /// Live dedup entries: (key, original, expiry ms).
    pub fn dedup_entries(&self) -> impl Iterator<Item = (&str, Original, u64)> {
        self.dedup.entries()
    }

    /// Counters a snapshot must keep even when no message carries them any more.
    #[must_use]
    pub fn sequence_state(&self) -> (u64, u64) {
        (self.next_seq, self.next_sequence_number)
    }

    pub fn restore_sequence_state(&mut self, next_seq: u64, next_sequence_number: u64) {
        self.next_seq = self.next_seq.max(next_seq);
        self.next_sequence_number = self.next_sequence_number.max(next_sequence_number);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiveError {
    /// A standard queue at its in-flight limit (AWS answers OverLimit).
    OverLimit,
}

/// Random version-4 UUIDs from a per-queue xorshift generator seeded by the broker.
struct IdSource(u64, u64);

impl IdSource {
    fn new(seed: u64) -> Self {
        Self(seed | 1, seed.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next_u64(&mut self) -> u64 {
        // xorshift128+
        let mut s1 = self.0;
        let s0 = self.1;
        self.0 = s0;
        s1 ^= s1 << 23;
        self.1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        self.1.wrapping_add(s0)
    }
    fn next_uuid(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(body: &'a [u8], group: Option<&'a str>, dedup: Option<&'a str>) -> SendEntry<'a> {
        SendEntry { group_id: group, dedup_id: dedup, ..SendEntry::plain(body) }
    }

    /// AWS: a standard queue at 120,000 in-flight messages answers OverLimit; a FIFO queue
    /// returns no more messages, without an error.
    #[test]
    fn in_flight_limit_standard_errors_fifo_returns_nothing() {
        let sender: Arc<str> = "0".into();
        let mut fx = Effects::default();
        let config = QueueConfig { visibility_timeout_s: 600, ..QueueConfig::default() };
        let mut std_q = QueueState::new(1, config.clone(), 1);
        for _ in 0..=INFLIGHT_PER_QUEUE_MAX {
            std_q.send(&entry(b"m", None, None), &sender, 0, &mut fx).unwrap();
        }
        let mut out = Vec::new();
        while out.len() < INFLIGHT_PER_QUEUE_MAX {
            std_q.receive(10, None, None, None, 1, &mut fx, &mut out).unwrap();
        }
        assert_eq!(out.len(), INFLIGHT_PER_QUEUE_MAX);
        assert_eq!(std_q.receive(10, None, None, None, 1, &mut fx, &mut out), Err(ReceiveError::OverLimit));

        // FIFO: ten messages in each of 12,001 groups; a receive takes one group's ten.
        let mut fifo = QueueState::new(2, QueueConfig { fifo: true, ..config }, 2);
        let groups = INFLIGHT_PER_QUEUE_MAX / 10 + 1;
        for g in 0..groups {
            let group = g.to_string();
            for m in 0..10 {
                let id = format!("{g}-{m}");
                fifo.send(&entry(b"m", Some(&group), Some(&id)), &sender, 0, &mut fx).unwrap();
            }
        }
        let mut got = Vec::new();
        while got.len() < INFLIGHT_PER_QUEUE_MAX {
            fifo.receive(10, None, None, None, 1, &mut fx, &mut got).unwrap();
        }
        assert_eq!(got.len(), INFLIGHT_PER_QUEUE_MAX);
        let before = got.len();
        assert_eq!(fifo.receive(10, None, None, None, 1, &mut fx, &mut got), Ok(()));
        assert_eq!(got.len(), before, "past the limit a FIFO receive returns nothing");
    }
}
