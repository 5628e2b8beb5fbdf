//! One stored message and the state it is in.

use std::sync::Arc;

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

/// Body and attributes share one allocation, so a delivery is a reference-count bump, not a copy.
#[derive(Clone, Debug)]
pub struct Payload {
    bytes: Arc<[u8]>,
    body_len: u32,
}

impl Payload {
    #[must_use]
    pub fn new(body: &[u8], attributes: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(body.len() + attributes.len());
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(attributes);
        let body_len = u32::try_from(body.len()).expect("body length is bounded by the size limit");
        Self { bytes: bytes.into(), body_len }
    }
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.bytes[..self.body_len as usize]
    }
    /// The message attributes as the control plane encoded them (opaque to the core).
    #[must_use]
    pub fn attributes(&self) -> &[u8] {
        &self.bytes[self.body_len as usize..]
    }
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
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
    pub trace_header: Option<Box<str>>,
    pub group_id: Option<Arc<str>>,
    pub dedup_id: Option<Box<str>>,
    /// FIFO only; 0 on standard queues.
    pub sequence_number: u128,
    pub receive_count: u32,
    pub first_receive_ms: u64,
    /// When the current lease began; ChangeMessageVisibility may not extend past 12 h from it.
    pub lease_start_ms: u64,
    /// Bumped on every receive, so a receipt handle from an earlier receive is recognised as stale.
    pub lease_gen: u32,
    /// Set when redrive moved the message here: the ARN of the queue it came from.
    pub dead_letter_source_arn: Option<Arc<str>>,
    pub state: State,
}
