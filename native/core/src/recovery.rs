//! Rebuilding the broker's state from a snapshot and the journal records after it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::dedup::Original;
use crate::journal::{self, Dec, Malformed};
use crate::limits::DEDUP_WINDOW_MS;
use crate::message::{Message, State};
use crate::move_task::MoveTasks;
use crate::queue::QueueConfig;
use crate::spill::SpillStore;

pub struct QueueImage {
    pub id: u64,
    pub key: Arc<str>,
    pub arn: Arc<str>,
    pub config: QueueConfig,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub messages: BTreeMap<u64, Message>,
    pub next_seq: u64,
    pub next_sequence_number: u64,
    /// (key, original, expiry ms).
    pub dedup: Vec<(String, Original, u64)>,
    /// When PurgeQueue last ran, for its cooldown.
    pub last_purge_ms: Option<u64>,
}

#[derive(Default)]
pub struct Image {
    pub receipt_key: Option<u64>,
    pub next_queue_id: u64,
    pub queues: HashMap<u64, QueueImage>,
    pub move_tasks: MoveTasks,
    /// Queue key → when it was deleted (the re-create cooldown).
    pub deleted_ms: HashMap<Arc<str>, u64>,
    /// Log records replayed after the snapshot (counted by the caller).
    pub records: u64,
    /// With a payload budget: bodies past it go to the spill file as they are replayed, so
    /// recovery holds no more of them in memory than the running broker did.
    spill: Option<Arc<SpillStore>>,
    /// Bytes of in-memory payloads this image counts in the spill store's budget.
    held_bytes: u64,
}

impl Image {
    #[must_use]
    pub fn with_spill(spill: Arc<SpillStore>) -> Self {
        Self { spill: Some(spill), ..Self::default() }
    }

    /// Hands the image's payloads over: their bytes stop counting in the spill store's budget,
    /// and the queues they are restored into count them again (spilled ones stay spilled).
    pub fn release_payloads(&mut self) {
        if let Some(store) = &self.spill {
            store.release(self.held_bytes);
        }
        self.held_bytes = 0;
    }

    /// A replayed message enters the image: in memory while the budget allows, else spilled.
    fn keep(&mut self, m: &mut Message) {
        if let Some(store) = &self.spill {
            self.held_bytes += m.payload.admit(store);
        }
    }

    /// A replayed message leaves the image (deleted, purged, its queue deleted).
    fn drop_payload(spill: Option<&Arc<SpillStore>>, held_bytes: &mut u64, m: &Message) {
        if let Some(store) = spill {
            let released = m.payload.release(store);
            assert!(*held_bytes >= released);
            *held_bytes -= released;
        }
    }

    fn drop_all(&mut self, messages: &BTreeMap<u64, Message>) {
        for m in messages.values() {
            Self::drop_payload(self.spill.as_ref(), &mut self.held_bytes, m);
        }
    }

    /// Applies one log record (or snapshot part): a sequence of sub-records.
    pub fn apply(&mut self, payload: &[u8]) -> Result<(), Malformed> {
        let mut d = Dec::new(payload);
        while !d.done() {
            self.apply_one(&mut d)?;
        }
        Ok(())
    }

    fn apply_one(&mut self, d: &mut Dec) -> Result<(), Malformed> {
        match d.u8()? {
            journal::META => {
                self.receipt_key = Some(d.u64()?);
                self.next_queue_id = self.next_queue_id.max(d.u64()?);
            }
            journal::QUEUE_CREATE => {
                let id = d.u64()?;
                let q = QueueImage {
                    id,
                    key: d.str()?.into(),
                    arn: d.str()?.into(),
                    config: d.config()?,
                    attributes: d.map()?,
                    tags: d.map()?,
                    created_ms: d.u64()?,
                    modified_ms: d.u64()?,
                    messages: BTreeMap::new(),
                    next_seq: 1,
                    next_sequence_number: 0,
                    dedup: Vec::new(),
                    last_purge_ms: None,
                };
                self.next_queue_id = self.next_queue_id.max(id + 1);
                self.deleted_ms.remove(&q.key);
                self.queues.insert(id, q);
            }
            journal::QUEUE_SET => {
                let id = d.u64()?;
                let (attributes, config, modified) = (d.map()?, d.config()?, d.u64()?);
                if let Some(q) = self.queues.get_mut(&id) {
                    q.attributes = attributes;
                    q.config = config;
                    q.modified_ms = modified;
                }
            }
            journal::QUEUE_TAGS => {
                let id = d.u64()?;
                let tags = d.map()?;
                if let Some(q) = self.queues.get_mut(&id) {
                    q.tags = tags;
                }
            }
            journal::QUEUE_DELETE => {
                let id = d.u64()?;
                if let Some(q) = self.queues.remove(&id) {
                    self.drop_all(&q.messages);
                }
                self.move_tasks.drop_source(id);
            }
            journal::PURGE => {
                let id = d.u64()?;
                if let Some(q) = self.queues.get_mut(&id) {
                    let gone = std::mem::take(&mut q.messages);
                    self.drop_all(&gone);
                }
            }
            journal::MESSAGE => {
                let (qid, seq, mut m, dedup_key) = d.message()?;
                if self.queues.contains_key(&qid) {
                    self.keep(&mut m);
                }
                if let Some(q) = self.queues.get_mut(&qid) {
                    q.next_seq = q.next_seq.max(seq + 1);
                    q.next_sequence_number = q.next_sequence_number.max(m.sequence_number);
                    if let Some(k) = dedup_key {
                        let o = Original { message_id: m.id, sequence_number: m.sequence_number };
                        q.dedup.push((k, o, m.sent_ms + DEDUP_WINDOW_MS));
                    }
                    if let Some(old) = q.messages.insert(seq, m) {
                        Self::drop_payload(self.spill.as_ref(), &mut self.held_bytes, &old);
                    }
                }
            }
            journal::RECEIVE => {
                let (qid, seq, gen, deadline) = (d.u64()?, d.u64()?, d.u32()?, d.u64()?);
                let (count, first, start) = (d.u32()?, d.u64()?, d.u64()?);
                if let Some(m) = self.message(qid, seq) {
                    m.lease_gen = gen;
                    m.state = State::Inflight(deadline);
                    m.receive_count = count;
                    m.first_receive_ms = first;
                    m.lease_start_ms = start;
                }
            }
            journal::DELETE => {
                let (qid, seq) = (d.u64()?, d.u64()?);
                if let Some(m) = self.queues.get_mut(&qid).and_then(|q| q.messages.remove(&seq)) {
                    Self::drop_payload(self.spill.as_ref(), &mut self.held_bytes, &m);
                }
            }
            journal::VISIBILITY => {
                let (qid, seq, kind, at) = (d.u64()?, d.u64()?, d.u8()?, d.u64()?);
                if let Some(m) = self.message(qid, seq) {
                    m.state = if kind == 0 { State::Ready } else { State::Inflight(at) };
                }
            }
            journal::SEQUENCE => {
                let (qid, next_seq, next_sn) = (d.u64()?, d.u64()?, d.u64()?);
                if let Some(q) = self.queues.get_mut(&qid) {
                    q.next_seq = q.next_seq.max(next_seq);
                    q.next_sequence_number = q.next_sequence_number.max(next_sn);
                }
            }
            journal::DEDUP => {
                let qid = d.u64()?;
                let key = d.str()?.to_owned();
                let o = Original { message_id: d.md5()?, sequence_number: d.u64()? };
                let expires = d.u64()?;
                if let Some(q) = self.queues.get_mut(&qid) {
                    q.dedup.push((key, o, expires));
                }
            }
            journal::PURGE_TIME => {
                let (id, at) = (d.u64()?, d.u64()?);
                if let Some(q) = self.queues.get_mut(&id) {
                    q.last_purge_ms = Some(at);
                }
            }
            journal::QUEUE_DELETED_AT => {
                let key: Arc<str> = d.str()?.into();
                let at = d.u64()?;
                self.deleted_ms.insert(key, at);
            }
            tag @ (journal::MOVE_TASK_START | journal::MOVE_TASK_PROGRESS | journal::MOVE_TASK_END | journal::MOVE_TASK_NEXT) => {
                self.move_tasks.apply(tag, d)?;
            }
            _ => return Err(Malformed("unknown journal record tag")),
        }
        Ok(())
    }

    fn message(&mut self, qid: u64, seq: u64) -> Option<&mut Message> {
        self.queues.get_mut(&qid)?.messages.get_mut(&seq)
    }
}
