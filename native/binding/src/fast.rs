//! The JSON protocol's five hot actions (SendMessage, SendMessageBatch, ReceiveMessage,
//! DeleteMessage, DeleteMessageBatch) answered in one call from the request's bytes to the
//! answer's, with no JS object, string or `JSON.parse`/`stringify` per request (issue 8: that
//! JS work was about half of the server's CPU per request; bench/RESULTS.md, session 3).
//!
//! It answers only requests it can answer exactly as the general path would and *declines*
//! everything else before changing anything: unknown or duplicate fields, nulls, a value of
//! another type, anything out of range, message attributes, receive attempt ids, a batch the
//! queue would refuse any entry of, an invalid receipt handle. The general path (src/actions/)
//! then answers the request in full, so every error and its wording lives there only. A valid
//! receive that finds nothing is handed, as read, to the general path's long poll (`Empty`). The checks below are a subset of its checks; the
//! differential test (test/contract/fast-path.test.ts) holds the two paths to the same answers.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use md5::{Digest, Md5};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use sluice_core::broker::{QueueError, ReceiveFailure};
use sluice_core::limits::{
    BATCH_ENTRIES_MAX, BATCH_ENTRY_ID_LEN_MAX, BATCH_PAYLOAD_BYTES_MAX, DEDUP_ID_LEN_MAX, DELAY_S_MAX, MESSAGE_BYTES_MAX,
    MESSAGE_GROUP_ID_LEN_MAX, QUEUE_NAME_LEN_MAX, RECEIVE_MESSAGES_MAX, VISIBILITY_TIMEOUT_S_MAX, WAIT_TIME_S_MAX,
};
use sluice_core::queue::{SendEntry, Sent};
use sluice_core::receipt::hex;
use sluice_core::Broker;

use crate::codec::uuid;
use crate::receive_json;

/// Action codes, mirrored in src/fast-path.ts.
pub const SEND_MESSAGE: u32 = 1;
pub const SEND_MESSAGE_BATCH: u32 = 2;
pub const RECEIVE_MESSAGE: u32 = 3;
pub const DELETE_MESSAGE: u32 = 4;
pub const DELETE_MESSAGE_BATCH: u32 = 5;

/// What the fast path did with a request.
pub enum Outcome {
    /// Nothing changed; the general path answers it.
    Declined,
    /// The log failed after the change was applied in memory (ServiceUnavailable, as the
    /// general path answers it).
    Storage,
    Answered(Answer),
    /// A valid ReceiveMessage that found nothing: the general path's long poll takes over
    /// with the request as read here. When the request may wait, this worker was registered
    /// for the queue's wake-ups in the same step (as `receiveJson` with `park`).
    Empty(Empty),
    /// Leases were taken but a spilled body could not be read back (InternalFailure, as the
    /// general path answers it; the leases expire).
    Unreadable(std::io::Error),
}

pub struct Answer {
    /// The Lsn the answer waits for (0: none).
    pub lsn: u64,
    /// The queue's core key (`account/name`), for the per-queue metrics.
    pub key: String,
    /// Messages sent, received or deleted (metrics).
    pub count: u32,
    /// Size of each message sent, as AWS counts it (metrics).
    pub sizes: Vec<u32>,
    pub body: Vec<u8>,
}

/// A ReceiveMessage to hand to the long poll (src/actions/receive-message.ts `parkFast`).
pub struct Empty {
    pub key: String,
    pub queue_id: u64,
    /// The queue's ReceiveMessageWaitTimeSeconds.
    pub queue_wait_s: u32,
    /// WaitTimeSeconds as given.
    pub wait_s: Option<u32>,
    pub max: u32,
    pub visibility_s: Option<u32>,
    /// System attributes wanted, as `receive_json::render`'s mask.
    pub system: u32,
    /// Every message attribute wanted.
    pub attributes: bool,
}

/// A request field: absent, or present with a value of its type. JSON `null` is neither (it
/// fails to parse, so the request is declined), unlike serde's `Option`.
#[derive(Clone, Copy, Default)]
enum Field<T> {
    #[default]
    Absent,
    Present(T),
}

impl<T> Field<T> {
    fn get(self) -> Option<T> {
        match self {
            Self::Absent => None,
            Self::Present(v) => Some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Self::Present)
    }
}

/// A JSON string, borrowed from the request when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// SendMessage's fields; a SendMessageBatch entry has the same with `Id` for `QueueUrl`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageFields<'a> {
    #[serde(rename = "QueueUrl", default, borrow)]
    queue_url: Field<Text<'a>>,
    #[serde(rename = "Id", default, borrow)]
    id: Field<Text<'a>>,
    #[serde(rename = "MessageBody", borrow)]
    body: Text<'a>,
    #[serde(rename = "DelaySeconds", default)]
    delay_s: Field<u32>,
    #[serde(rename = "MessageGroupId", default, borrow)]
    group_id: Field<Text<'a>>,
    #[serde(rename = "MessageDeduplicationId", default, borrow)]
    dedup_id: Field<Text<'a>>,
}

/// DeleteMessage's fields; a DeleteMessageBatch entry has the same with `Id` for `QueueUrl`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandleFields<'a> {
    #[serde(rename = "QueueUrl", default, borrow)]
    queue_url: Field<Text<'a>>,
    #[serde(rename = "Id", default, borrow)]
    id: Field<Text<'a>>,
    #[serde(rename = "ReceiptHandle", borrow)]
    handle: Text<'a>,
}

/// A batch request: the queue and its entries.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFields<'a, E> {
    #[serde(rename = "QueueUrl", borrow)]
    queue_url: Text<'a>,
    #[serde(rename = "Entries")]
    entries: Vec<E>,
}

/// The one of `present` and `absent` a request or entry must have: `QueueUrl` on a single
/// request, `Id` on a batch entry.
fn only<'s>(present: &'s Field<Text>, absent: &Field<Text>) -> Result<&'s str, Decline> {
    match (present, absent) {
        (Field::Present(t), Field::Absent) => Ok(t.as_str()),
        _ => Err(Decline),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiveFields<'a> {
    #[serde(rename = "QueueUrl", borrow)]
    queue_url: Text<'a>,
    #[serde(rename = "MaxNumberOfMessages", default)]
    max: Field<u32>,
    #[serde(rename = "VisibilityTimeout", default)]
    visibility_s: Field<u32>,
    #[serde(rename = "WaitTimeSeconds", default)]
    wait_s: Field<u32>,
    #[serde(rename = "AttributeNames", default, borrow)]
    attribute_names: Field<Vec<Text<'a>>>,
    #[serde(rename = "MessageSystemAttributeNames", default, borrow)]
    system_names: Field<Vec<Text<'a>>>,
    #[serde(rename = "MessageAttributeNames", default, borrow)]
    message_attribute_names: Field<Vec<Text<'a>>>,
}

/// Answers `body` (a request of `action`) or declines it. `sender_id`: the caller's SenderId.
/// `worker`: the calling worker thread, registered for wake-ups by a receive that may wait.
pub fn answer(b: &Broker, worker: u32, action: u32, body: &[u8], sender_id: &Arc<str>) -> Outcome {
    let run = || -> Result<Outcome, Decline> {
        match action {
            SEND_MESSAGE => send(b, body, sender_id),
            SEND_MESSAGE_BATCH => send_batch(b, body, sender_id),
            RECEIVE_MESSAGE => receive(b, worker, body),
            DELETE_MESSAGE => delete(b, body),
            DELETE_MESSAGE_BATCH => delete_batch(b, body),
            _ => Err(Decline),
        }
    };
    run().unwrap_or(Outcome::Declined)
}

/// The request is not one the fast path answers; nothing was changed.
struct Decline;

impl<E: de::Error> From<E> for Decline {
    fn from(_: E) -> Self {
        Self
    }
}

fn check(ok: bool) -> Result<(), Decline> {
    if ok { Ok(()) } else { Err(Decline) }
}

/// The core key of a queue URL, as `parseQueueUrl` in src/queue-url.ts reads it: the path after
/// any scheme and host must be `/ACCOUNT_ID/NAME` with an optional trailing slash.
fn queue_key(url: &str) -> Result<String, Decline> {
    let path = match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("/", |j| &url[i + 3 + j..]),
        None => url,
    };
    let path = path.strip_prefix('/').ok_or(Decline)?;
    let path = path.strip_suffix('/').unwrap_or(path);
    let (account, name) = path.split_once('/').ok_or(Decline)?;
    check(account.len() == 12 && account.bytes().all(|c| c.is_ascii_digit()))?;
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    check((1..=QUEUE_NAME_LEN_MAX).contains(&base.len()) && base.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'))?;
    Ok(sluice_core::broker::key(account, name))
}

/// As the general path decides it: by the name's exact `.fifo` suffix.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn is_fifo(key: &str) -> bool {
    key.ends_with(".fifo")
}

/// A body the general path accepts as it is: not empty, at most the message size limit, and
/// only the characters SQS allows (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000+).
fn body_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() as u64 <= MESSAGE_BYTES_MAX
        && s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
}

/// MessageGroupId and MessageDeduplicationId: 1 to `max` letters, digits or ASCII punctuation.
fn token_ok(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|c| (0x21..=0x7e).contains(&c))
}

/// Batch entry ids: 1 to 80 letters, digits, hyphens and underscores, distinct.
fn ids_ok<'a>(ids: impl Iterator<Item = &'a str> + Clone) -> bool {
    ids.clone().enumerate().all(|(i, id)| {
        (1..=BATCH_ENTRY_ID_LEN_MAX).contains(&id.len())
            && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            && ids.clone().take(i).all(|earlier| earlier != id)
    })
}

/// A batch's entry ids, checked as `batchEntries` in src/actions/batch.ts checks them: 1 to 10
/// entries, each id valid and distinct. `id`: an entry's id (declines an entry without one).
fn batch_ids<'e, E>(entries: &'e [E], id: impl Fn(&'e E) -> Result<&'e str, Decline>) -> Result<Vec<&'e str>, Decline> {
    check((1..=BATCH_ENTRIES_MAX).contains(&entries.len()))?;
    let ids = entries.iter().map(id).collect::<Result<Vec<&str>, Decline>>()?;
    check(ids_ok(ids.iter().copied()))?;
    Ok(ids)
}

/// One message to store, checked as `prepareSend` in src/actions/send-entry.ts checks it.
struct Draft<'a> {
    body: &'a str,
    delay_s: Option<u32>,
    group_id: Option<&'a str>,
    dedup_id: Option<&'a str>,
}

fn draft<'a>(
    fifo: bool,
    body: &'a Text,
    delay_s: Field<u32>,
    group_id: &'a Field<Text>,
    dedup_id: &'a Field<Text>,
) -> Result<Draft<'a>, Decline> {
    let text = |f: &'a Field<Text>| match f {
        Field::Absent => None,
        Field::Present(t) => Some(t.as_str()),
    };
    let (group_id, dedup_id) = (text(group_id), text(dedup_id));
    check(body_ok(body.as_str()))?;
    let delay_s = delay_s.get();
    check(delay_s.is_none_or(|d| u64::from(d) <= DELAY_S_MAX))?;
    check(group_id.is_none_or(|g| token_ok(g, MESSAGE_GROUP_ID_LEN_MAX)))?;
    check(dedup_id.is_none_or(|d| token_ok(d, DEDUP_ID_LEN_MAX)))?;
    if fifo {
        check(delay_s.unwrap_or(0) == 0 && group_id.is_some())?;
    } else {
        check(dedup_id.is_none())?;
    }
    // FIFO queues have only the queue's delay (an explicit 0 is accepted and means nothing).
    Ok(Draft { body: body.as_str(), delay_s: if fifo { None } else { delay_s }, group_id, dedup_id })
}

/// What a stored batch gives back: per draft its result and body MD5, and the Lsn to wait for.
type Stored = (Vec<Sent>, u64, Vec<[u8; 16]>);

/// Stores the drafts, all or none. `Ok(None)`: the log failed (Storage); a refusal declines.
fn store(b: &Broker, key: &str, sender_id: &Arc<str>, drafts: &[Draft]) -> Result<Option<Stored>, Decline> {
    let md5s: Vec<[u8; 16]> = drafts.iter().map(|d| Md5::digest(d.body.as_bytes()).into()).collect();
    let mut entries: Vec<SendEntry> = drafts
        .iter()
        .zip(&md5s)
        .map(|(d, md5)| SendEntry {
            size: u32::try_from(d.body.len()).expect("at most MESSAGE_BYTES_MAX"),
            body: d.body.as_bytes(),
            attributes: &[],
            body_md5: *md5,
            attributes_md5: None,
            delay_s: d.delay_s,
            group_id: d.group_id,
            dedup_id: d.dedup_id,
            dedup_from_content: is_fifo(key) && d.dedup_id.is_none(),
            trace_header: None,
        })
        .collect();
    let content_ids = crate::content_dedup_ids(&entries);
    crate::apply_content_dedup_ids(&mut entries, &content_ids);
    match b.send_batch_whole(key, sender_id, &entries) {
        Ok(Some((sent, lsn))) => Ok(Some((sent, lsn, md5s))),
        Ok(None) | Err(QueueError::DoesNotExist) => Err(Decline),
        Err(QueueError::Storage) => Ok(None),
    }
}

/// `"MessageId":…,"MD5OfMessageBody":…[,"SequenceNumber":…]`, as `sentFields` orders them.
fn sent_fields(out: &mut Vec<u8>, s: &Sent, md5: &[u8; 16]) {
    out.extend_from_slice(b"\"MessageId\":\"");
    out.extend_from_slice(uuid(&s.message_id).as_bytes());
    out.extend_from_slice(b"\",\"MD5OfMessageBody\":\"");
    out.extend_from_slice(hex(md5).as_bytes());
    out.push(b'"');
    if s.sequence_number != 0 {
        out.extend_from_slice(b",\"SequenceNumber\":\"");
        out.extend_from_slice(s.sequence_number.to_string().as_bytes());
        out.push(b'"');
    }
}

fn sizes(drafts: &[Draft]) -> Vec<u32> {
    drafts.iter().map(|d| u32::try_from(d.body.len()).expect("at most MESSAGE_BYTES_MAX")).collect()
}

fn send(b: &Broker, body: &[u8], sender_id: &Arc<str>) -> Result<Outcome, Decline> {
    let f: MessageFields = serde_json::from_slice(body)?;
    let key = queue_key(only(&f.queue_url, &f.id)?)?;
    let d = draft(is_fifo(&key), &f.body, f.delay_s, &f.group_id, &f.dedup_id)?;
    let drafts = [d];
    let Some((sent, lsn, md5s)) = store(b, &key, sender_id, &drafts)? else { return Ok(Outcome::Storage) };
    let mut out = Vec::with_capacity(160);
    out.push(b'{');
    sent_fields(&mut out, &sent[0], &md5s[0]);
    out.push(b'}');
    Ok(Outcome::Answered(Answer { lsn, key, count: 1, sizes: sizes(&drafts), body: out }))
}

fn send_batch(b: &Broker, body: &[u8], sender_id: &Arc<str>) -> Result<Outcome, Decline> {
    let f: BatchFields<MessageFields> = serde_json::from_slice(body)?;
    let key = queue_key(f.queue_url.as_str())?;
    let ids = batch_ids(&f.entries, |e| only(&e.id, &e.queue_url))?;
    let fifo = is_fifo(&key);
    let mut drafts = Vec::with_capacity(f.entries.len());
    for e in &f.entries {
        drafts.push(draft(fifo, &e.body, e.delay_s, &e.group_id, &e.dedup_id)?);
    }
    check(drafts.iter().map(|d| d.body.len() as u64).sum::<u64>() <= BATCH_PAYLOAD_BYTES_MAX)?;
    let Some((sent, lsn, md5s)) = store(b, &key, sender_id, &drafts)? else { return Ok(Outcome::Storage) };
    let mut out = Vec::with_capacity(32 + sent.len() * 160);
    out.extend_from_slice(b"{\"Successful\":[");
    for (i, (id, s)) in ids.iter().zip(&sent).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Ids are letters, digits, `-` and `_` (checked above): nothing to escape.
        out.extend_from_slice(b"{\"Id\":\"");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\",");
        sent_fields(&mut out, s, &md5s[i]);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"Failed\":[]}");
    let count = u32::try_from(sent.len()).expect("at most BATCH_ENTRIES_MAX");
    Ok(Outcome::Answered(Answer { lsn, key, count, sizes: sizes(&drafts), body: out }))
}

fn receive(b: &Broker, worker: u32, body: &[u8]) -> Result<Outcome, Decline> {
    let f: ReceiveFields = serde_json::from_slice(body)?;
    let key = queue_key(f.queue_url.as_str())?;
    let max = f.max.get().unwrap_or(1);
    check((1..=RECEIVE_MESSAGES_MAX).contains(&(max as usize)))?;
    let visibility_s = f.visibility_s.get();
    check(visibility_s.is_none_or(|v| u64::from(v) <= VISIBILITY_TIMEOUT_S_MAX))?;
    let wait_s = f.wait_s.get();
    check(wait_s.is_none_or(|w| u64::from(w) <= WAIT_TIME_S_MAX))?;
    let mut system = 0;
    for n in f.attribute_names.get().into_iter().chain(f.system_names.get()).flatten() {
        system |= receive_json::system_bit(n.as_str()).ok_or(Decline)?;
    }
    // Message attributes: none, or all of them; a filter by name is the general path's.
    let wanted = f.message_attribute_names.get().unwrap_or_default();
    let attributes = wanted.iter().any(|n| matches!(n.as_str(), "All" | ".*"));
    check(attributes || wanted.is_empty())?;
    // As the general path: a receive that may wait registers for wake-ups as it looks (a
    // short poll, WaitTimeSeconds=0, never does).
    let park = (wait_s != Some(0)).then_some(worker);
    let got = match b.receive(&key, max as usize, visibility_s, None, park) {
        Ok(got) if !got.deliveries.is_empty() => got,
        Ok(got) => {
            let (queue_id, queue_wait_s) = (got.queue_id, got.wait_s);
            return Ok(Outcome::Empty(Empty { key, queue_id, queue_wait_s, wait_s, max, visibility_s, system, attributes }));
        }
        Err(ReceiveFailure::DoesNotExist | ReceiveFailure::OverLimit) => return Err(Decline),
        Err(ReceiveFailure::Storage) => return Ok(Outcome::Storage),
    };
    let mut out = Vec::with_capacity(512);
    if let Err(e) = receive_json::render(&mut out, b, &got.deliveries, system, attributes) {
        return Ok(Outcome::Unreadable(e));
    }
    let count = u32::try_from(got.deliveries.len()).expect("at most RECEIVE_MESSAGES_MAX");
    // Answered once the leases are durable, like a send or a delete (Broker::receive).
    Ok(Outcome::Answered(Answer { lsn: got.lsn, key, count, sizes: Vec::new(), body: out }))
}

fn delete(b: &Broker, body: &[u8]) -> Result<Outcome, Decline> {
    let f: HandleFields = serde_json::from_slice(body)?;
    let key = queue_key(only(&f.queue_url, &f.id)?)?;
    check(!f.handle.as_str().is_empty())?;
    let lsn = match b.delete_batch_whole(&key, &[f.handle.as_str()]) {
        Ok(Some((_, lsn))) => lsn,
        Ok(None) | Err(QueueError::DoesNotExist) => return Err(Decline),
        Err(QueueError::Storage) => return Ok(Outcome::Storage),
    };
    Ok(Outcome::Answered(Answer { lsn, key, count: 1, sizes: Vec::new(), body: b"{}".to_vec() }))
}

fn delete_batch(b: &Broker, body: &[u8]) -> Result<Outcome, Decline> {
    let f: BatchFields<HandleFields> = serde_json::from_slice(body)?;
    let key = queue_key(f.queue_url.as_str())?;
    let ids = batch_ids(&f.entries, |e| only(&e.id, &e.queue_url))?;
    check(f.entries.iter().all(|e| !e.handle.as_str().is_empty()))?;
    let handles: Vec<&str> = f.entries.iter().map(|e| e.handle.as_str()).collect();
    let lsn = match b.delete_batch_whole(&key, &handles) {
        Ok(Some((_, lsn))) => lsn,
        Ok(None) | Err(QueueError::DoesNotExist) => return Err(Decline),
        Err(QueueError::Storage) => return Ok(Outcome::Storage),
    };
    let mut out = Vec::with_capacity(32 + f.entries.len() * 24);
    out.extend_from_slice(b"{\"Successful\":[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"Id\":\"");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\"}");
    }
    out.extend_from_slice(b"],\"Failed\":[]}");
    let count = u32::try_from(f.entries.len()).expect("at most BATCH_ENTRIES_MAX");
    Ok(Outcome::Answered(Answer { lsn, key, count, sizes: Vec::new(), body: out }))
}

#[cfg(test)]
mod tests {
    use super::{body_ok, ids_ok, queue_key, token_ok};

    #[test]
    fn queue_urls_read_as_parse_queue_url_reads_them() {
        let k = |u: &str| queue_key(u).ok();
        assert_eq!(k("http://localhost:9324/000000000000/q").as_deref(), Some("000000000000/q"));
        assert_eq!(k("https://sqs.us-east-1.amazonaws.com/123456789012/a-b_c.fifo/").as_deref(), Some("123456789012/a-b_c.fifo"));
        assert_eq!(k("/000000000000/q").as_deref(), Some("000000000000/q"));
        assert_eq!(k("http://h/000000000000/q//"), None);
        assert_eq!(k("http://h/00000000000/q"), None);
        assert_eq!(k("http://h/000000000000/"), None);
        assert_eq!(k("http://h/000000000000/q.x"), None);
        assert_eq!(k("http://h"), None);
        assert_eq!(k(""), None);
        assert_eq!(k(&format!("http://h/000000000000/{}", "a".repeat(81))), None);
        assert!(k(&format!("http://h/000000000000/{}.fifo", "a".repeat(80))).is_some());
    }

    #[test]
    fn bodies_tokens_and_ids() {
        assert!(body_ok("hello\t\n\r ✓ 😀"));
        assert!(!body_ok(""));
        assert!(!body_ok("a\u{1}b"));
        assert!(!body_ok("\u{FFFE}"));
        assert!(token_ok("g-1!~", 128));
        assert!(!token_ok("g 1", 128));
        assert!(!token_ok("", 128));
        assert!(ids_ok(["a", "b_1", "C-2"].into_iter()));
        assert!(!ids_ok(["a", "a"].into_iter()));
        assert!(!ids_ok(["a.b"].into_iter()));
        assert!(!ids_ok([""].into_iter()));
    }
}
