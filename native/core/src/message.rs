//! One stored message and the state it is in.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use crate::spill::SpillStore;

/// Where a message is in its life; every stored message is in exactly one state, and each state
/// has one index in the queue (ready lists, `delayed`, `inflight`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    /// Invisible until this time (ms) because of a queue or per-message delay.
    Delayed(u64),
    /// Leased to a consumer until this time (ms).
    Inflight(u64),
}

/// Body and attributes share one allocation, so a delivery is a reference-count bump, not a copy;
/// or, past the memory budget, they live in the spill file (`spill.rs`) and a delivery reads
/// them back.
#[derive(Clone)]
pub struct Payload {
    repr: Repr,
    body_len: u32,
}

#[derive(Clone)]
enum Repr {
    Mem(Arc<[u8]>),
    /// Out of line: spilled messages are the rare case, and this keeps `Payload` small.
    Spilled(Arc<Spilled>),
}

struct Spilled {
    store: Arc<SpillStore>,
    offset: u64,
    len: u32,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} bytes, spilled: {})", self.len(), self.is_spilled())
    }
}

/// A payload's bytes, in memory either way.
pub struct Loaded<'a> {
    bytes: Cow<'a, [u8]>,
    body_len: usize,
}

impl Loaded<'_> {
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.bytes[..self.body_len]
    }
    /// The message attributes as the control plane encoded them (opaque to the core).
    #[must_use]
    pub fn attributes(&self) -> &[u8] {
        &self.bytes[self.body_len..]
    }
}

impl Payload {
    #[must_use]
    pub fn new(body: &[u8], attributes: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(body.len() + attributes.len());
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(attributes);
        let body_len = u32::try_from(body.len()).expect("body length is bounded by the size limit");
        Self { repr: Repr::Mem(bytes.into()), body_len }
    }

    /// Body and attributes; reads the spill file for a spilled payload.
    pub fn load(&self) -> io::Result<Loaded<'_>> {
        let bytes = match &self.repr {
            Repr::Mem(b) => Cow::Borrowed(&b[..]),
            Repr::Spilled(s) => Cow::Owned(s.store.read(s.offset, s.len)?),
        };
        Ok(Loaded { bytes, body_len: self.body_len as usize })
    }

    /// Moves the bytes to the spill file (for a payload not yet shared).
    pub fn spill(&mut self, store: &Arc<SpillStore>) -> io::Result<()> {
        if let Repr::Mem(b) = &self.repr {
            let offset = store.write(b)?;
            let len = u32::try_from(b.len()).expect("bounded by the size limit");
            self.repr = Repr::Spilled(Arc::new(Spilled { store: store.clone(), offset, len }));
        }
        Ok(())
    }

    /// Places a newly stored payload within `store`'s budget: in memory while it fits (counted
    /// there), else in the spill file. Returns the bytes it now counts in memory.
    pub fn admit(&mut self, store: &Arc<SpillStore>) -> u64 {
        if self.is_spilled() {
            return 0;
        }
        let len = self.len() as u64;
        // A failed spill keeps the payload in memory: over budget, but nothing lost.
        if store.over_budget(len) && self.spill(store).is_ok() {
            return 0;
        }
        store.hold(len);
        len
    }

    /// The payload's message is gone: its bytes stop counting in memory, or its spilled body
    /// is forgotten. Returns the bytes released from memory.
    pub fn release(&self, store: &SpillStore) -> u64 {
        if self.is_spilled() {
            store.forget();
            return 0;
        }
        let len = self.len() as u64;
        store.release(len);
        len
    }

    #[must_use]
    pub fn is_spilled(&self) -> bool {
        matches!(self.repr, Repr::Spilled(_))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Mem(b) => b.len(),
            Repr::Spilled(s) => s.len as usize,
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug)]
pub struct Message {
    pub id: [u8; 16],
    pub payload: Payload,
    pub body_md5: [u8; 16],
    /// `None` when the message has no attributes (AWS then omits MD5OfMessageAttributes).
    pub attributes_md5: Option<[u8; 16]>,
    pub sent_ms: u64,
    pub sender_id: Arc<str>,
    pub group_id: Option<Arc<str>>,
    /// FIFO only; 0 on standard queues. 20 digits on AWS, which fits a u64.
    pub sequence_number: u64,
    pub receive_count: u32,
    pub first_receive_ms: u64,
    /// When the current lease began; ChangeMessageVisibility may not extend past 12 h from it.
    pub lease_start_ms: u64,
    /// Bumped on every receive, so a receipt handle from an earlier receive is recognised as stale.
    pub lease_gen: u32,
    /// Fields most messages lack, out of line (shared on delivery, not copied).
    pub extra: Option<Arc<Extra>>,
    pub state: State,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    pub trace_header: Option<Box<str>>,
    pub dedup_id: Option<Box<str>>,
    /// Set when redrive moved the message here: the ARN of the queue it came from.
    pub dead_letter_source_arn: Option<Arc<str>>,
}

impl Extra {
    /// `None` when every field is empty, so plain messages carry no allocation.
    #[must_use]
    pub fn of(trace_header: Option<&str>, dedup_id: Option<&str>, dead_letter_source_arn: Option<Arc<str>>) -> Option<Arc<Self>> {
        if trace_header.is_none() && dedup_id.is_none() && dead_letter_source_arn.is_none() {
            return None;
        }
        Some(Arc::new(Self { trace_header: trace_header.map(Into::into), dedup_id: dedup_id.map(Into::into), dead_letter_source_arn }))
    }
}

impl Message {
    #[must_use]
    pub fn trace_header(&self) -> Option<&str> {
        self.extra.as_ref()?.trace_header.as_deref()
    }
    #[must_use]
    pub fn dedup_id(&self) -> Option<&str> {
        self.extra.as_ref()?.dedup_id.as_deref()
    }
    #[must_use]
    pub fn dead_letter_source_arn(&self) -> Option<&str> {
        self.extra.as_ref()?.dead_letter_source_arn.as_deref()
    }
    pub fn set_dead_letter_source_arn(&mut self, arn: Option<Arc<str>>) {
        let e = self.extra.as_deref().cloned().unwrap_or_default();
        self.extra = Extra::of(e.trace_header.as_deref(), e.dedup_id.as_deref(), arn);
    }
}

const _: () = assert!(std::mem::size_of::<Message>() <= 184, "Message grew: memory per message is a target");
