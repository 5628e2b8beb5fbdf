//! Journal records: every state change the broker makes, as bytes the write-ahead log stores,
//! and their replay. A snapshot is the same records (queue definitions, then each live message
//! with its full state), so one decoder serves both.
//!
//! Layout: a tag byte, then fields in order; integers little-endian with explicit widths;
//! strings and blobs as u32 length + bytes. Times are absolute milliseconds, so replay needs no
//! clock: a lease that expired while the broker was down is simply in the past.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::message::{Extra, Message, Payload, State};
use crate::queue::{QueueConfig, Redrive};

pub const META: u8 = 1;
pub const QUEUE_CREATE: u8 = 2;
pub const QUEUE_SET: u8 = 3;
pub const QUEUE_TAGS: u8 = 4;
pub const QUEUE_DELETE: u8 = 5;
pub const PURGE: u8 = 6;
pub const MESSAGE: u8 = 7;
pub const RECEIVE: u8 = 8;
pub const DELETE: u8 = 9;
pub const VISIBILITY: u8 = 10;
pub const SEQUENCE: u8 = 11;
pub const DEDUP: u8 = 12;
/// Move task records: see `move_task.rs`.
pub const MOVE_TASK_START: u8 = 13;
pub const MOVE_TASK_PROGRESS: u8 = 14;
pub const MOVE_TASK_END: u8 = 15;
pub const MOVE_TASK_NEXT: u8 = 16;
/// (queue id, ms): when the queue was last purged, for PurgeQueue's cooldown. In the same log
/// record as its `PURGE`, and in snapshots; a separate tag keeps logs written before it readable.
pub const PURGE_TIME: u8 = 17;
/// (queue key, ms): when a queue of that name was deleted, for the cooldown before a queue of
/// the same name may be created again. In the same log record as its `QUEUE_DELETE`, and in
/// snapshots while the cooldown lasts.
pub const QUEUE_DELETED_AT: u8 = 18;

#[derive(Default)]
pub struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn tag(tag: u8) -> Self {
        let mut e = Self { buf: Vec::with_capacity(128) };
        e.buf.push(tag);
        e
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }
    pub fn blob(&mut self, b: &[u8]) -> &mut Self {
        self.u32(u32::try_from(b.len()).expect("records are bounded by the message size limit"));
        self.buf.extend_from_slice(b);
        self
    }
    pub fn opt(&mut self, s: Option<&str>) -> &mut Self {
        self.blob(s.map_or(&[][..], str::as_bytes))
    }
    pub fn map(&mut self, m: &BTreeMap<String, String>) -> &mut Self {
        self.u32(u32::try_from(m.len()).expect("bounded"));
        for (k, v) in m {
            self.blob(k.as_bytes()).blob(v.as_bytes());
        }
        self
    }
    pub fn config(&mut self, c: &QueueConfig) -> &mut Self {
        self.u8(u8::from(c.fifo))
            .u32(c.visibility_timeout_s)
            .u32(c.delay_s)
            .u32(c.retention_s)
            .u32(c.maximum_message_bytes)
            .u32(c.receive_wait_s)
            .u8(u8::from(c.content_based_dedup))
            .u8(u8::from(c.dedup_per_group));
        match &c.redrive {
            None => self.u8(0),
            Some(r) => self.u8(1).blob(r.dead_letter_key.as_bytes()).u32(r.max_receive_count),
        }
    }
    /// A whole message. Reads a spilled payload back from the spill file; a failed read is
    /// an I/O error on a file this process wrote, and stops the process (fail-stop, as for the
    /// log): recovery then rebuilds everything from the log.
    pub fn message(&mut self, queue_id: u64, seq: u64, m: &Message, dedup_key: Option<&str>) -> &mut Self {
        let loaded = m.payload.load().expect("read a spilled message body back");
        self.u64(queue_id).u64(seq).raw(&m.id);
        self.blob(loaded.body()).blob(loaded.attributes()).raw(&m.body_md5);
        match m.attributes_md5 {
            Some(h) => self.u8(1).raw(&h),
            None => self.u8(0),
        };
        self.u64(m.sent_ms)
            .blob(m.sender_id.as_bytes())
            .opt(m.trace_header())
            .opt(m.group_id.as_deref())
            .opt(m.dedup_id())
            .u64(m.sequence_number)
            .u32(m.receive_count)
            .u64(m.first_receive_ms)
            .u64(m.lease_start_ms)
            .u32(m.lease_gen)
            .opt(m.dead_letter_source_arn());
        match m.state {
            State::Ready => self.u8(0).u64(0),
            State::Delayed(t) => self.u8(1).u64(t),
            State::Inflight(t) => self.u8(2).u64(t),
        };
        self.opt(dedup_key)
    }
}

/// A record that does not decode is corruption the log's checksum missed, or a bug: both stop
/// recovery with a message, never a silent skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

pub struct Dec<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Dec<'a> {
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, at: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(n).ok_or(Malformed("length overflow"))?;
        let s = self.buf.get(self.at..end).ok_or(Malformed("record ends early"))?;
        self.at = end;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| Malformed("u32"))?))
    }
    pub fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| Malformed("u64"))?))
    }
    pub fn md5(&mut self) -> Result<[u8; 16], Malformed> {
        self.take(16)?.try_into().map_err(|_| Malformed("digest"))
    }
    pub fn blob(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str, Malformed> {
        std::str::from_utf8(self.blob()?).map_err(|_| Malformed("string is not UTF-8"))
    }
    pub fn opt(&mut self) -> Result<Option<&'a str>, Malformed> {
        let s = self.str()?;
        Ok((!s.is_empty()).then_some(s))
    }
    pub fn map(&mut self) -> Result<BTreeMap<String, String>, Malformed> {
        let n = self.u32()?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let k = self.str()?.to_owned();
            m.insert(k, self.str()?.to_owned());
        }
        Ok(m)
    }
    pub fn config(&mut self) -> Result<QueueConfig, Malformed> {
        let mut c = QueueConfig {
            fifo: self.u8()? == 1,
            visibility_timeout_s: self.u32()?,
            delay_s: self.u32()?,
            retention_s: self.u32()?,
            maximum_message_bytes: self.u32()?,
            receive_wait_s: self.u32()?,
            content_based_dedup: self.u8()? == 1,
            dedup_per_group: self.u8()? == 1,
            redrive: None,
        };
        if self.u8()? == 1 {
            let key: Arc<str> = self.str()?.into();
            c.redrive = Some(Redrive { dead_letter_key: key, max_receive_count: self.u32()? });
        }
        Ok(c)
    }
    /// (queue id, seq, message, dedup key).
    pub fn message(&mut self) -> Result<(u64, u64, Message, Option<String>), Malformed> {
        let queue_id = self.u64()?;
        let seq = self.u64()?;
        let id = self.md5()?;
        let body = self.blob()?;
        let attributes = self.blob()?;
        let body_md5 = self.md5()?;
        let attributes_md5 = if self.u8()? == 1 { Some(self.md5()?) } else { None };
        let sent_ms = self.u64()?;
        let sender_id: Arc<str> = self.str()?.into();
        let trace_header = self.opt()?;
        let group_id: Option<Arc<str>> = self.opt()?.map(Into::into);
        let dedup_id = self.opt()?;
        let sequence_number = self.u64()?;
        let (receive_count, first_receive_ms, lease_start_ms, lease_gen) = (self.u32()?, self.u64()?, self.u64()?, self.u32()?);
        let dead_letter_source_arn: Option<Arc<str>> = self.opt()?.map(Into::into);
        let state = match (self.u8()?, self.u64()?) {
            (0, _) => State::Ready,
            (1, t) => State::Delayed(t),
            (2, t) => State::Inflight(t),
            _ => return Err(Malformed("message state")),
        };
        let m = Message {
            id,
            payload: Payload::new(body, attributes),
            body_md5,
            attributes_md5,
            sent_ms,
            sender_id,
            group_id,
            sequence_number,
            receive_count,
            first_receive_ms,
            lease_start_ms,
            lease_gen,
            extra: Extra::of(trace_header, dedup_id, dead_letter_source_arn),
            state,
        };
        let dedup_key = self.opt()?.map(str::to_owned);
        Ok((queue_id, seq, m, dedup_key))
    }
    #[must_use]
    pub fn done(&self) -> bool {
        self.at == self.buf.len()
    }
}
