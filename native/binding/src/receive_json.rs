//! ReceiveMessage's answer in the JSON protocol, rendered from the core's deliveries straight
//! into the response bytes: the request path sends them as they are, with no JS object or
//! string per message (issue 8: the JS decode, render and `JSON.stringify` of ten messages
//! cost more than the receive itself). It writes what `render` in
//! `src/actions/receive-message.ts` builds (that one stays for the Query protocol and for
//! MessageAttributeNames filters), byte for byte what `JSON.stringify` would write.

use sluice_core::queue::Delivery;
use sluice_core::receipt::hex;
use sluice_core::Broker;

use crate::codec::uuid;

/// Bits of the system-attribute mask, in the order of `SYSTEM` in receive-message.ts.
const SENDER_ID: u32 = 1;
const SENT_TIMESTAMP: u32 = 1 << 1;
const RECEIVE_COUNT: u32 = 1 << 2;
const FIRST_RECEIVE_TIMESTAMP: u32 = 1 << 3;
const SEQUENCE_NUMBER: u32 = 1 << 4;
const DEDUPLICATION_ID: u32 = 1 << 5;
const GROUP_ID: u32 = 1 << 6;
const TRACE_HEADER: u32 = 1 << 7;
const DEAD_LETTER_SOURCE_ARN: u32 = 1 << 8;

/// Each bit's attribute name, as the answer writes it and as requests ask for it.
const SYSTEM: [(u32, &str); 9] = [
    (SENDER_ID, "SenderId"),
    (SENT_TIMESTAMP, "SentTimestamp"),
    (RECEIVE_COUNT, "ApproximateReceiveCount"),
    (FIRST_RECEIVE_TIMESTAMP, "ApproximateFirstReceiveTimestamp"),
    (SEQUENCE_NUMBER, "SequenceNumber"),
    (DEDUPLICATION_ID, "MessageDeduplicationId"),
    (GROUP_ID, "MessageGroupId"),
    (TRACE_HEADER, "AWSTraceHeader"),
    (DEAD_LETTER_SOURCE_ARN, "DeadLetterQueueSourceArn"),
];

/// The mask bit of a system attribute name a request may list (`All`: every bit); `None` for
/// any other name.
pub fn system_bit(name: &str) -> Option<u32> {
    if name == "All" {
        return Some(SYSTEM.iter().fold(0, |m, &(bit, _)| m | bit));
    }
    SYSTEM.iter().find(|&&(_, n)| n == name).map(|&(bit, _)| bit)
}

fn system_name(bit: u32) -> &'static str {
    SYSTEM.iter().find(|&&(b, _)| b == bit).map(|&(_, n)| n).expect("a bit of the mask")
}

/// `{"Messages":[...]}` for a non-empty list. `system`: the mask above; `attributes`: include
/// every message attribute (MessageAttributeNames All or `.*`).
pub fn render(out: &mut Vec<u8>, b: &Broker, list: &[Delivery], system: u32, attributes: bool) -> std::io::Result<()> {
    out.extend_from_slice(b"{\"Messages\":[");
    for (i, d) in list.iter().enumerate() {
        let m = &d.message;
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"MessageId\":\"");
        out.extend_from_slice(uuid(&m.id).as_bytes());
        out.extend_from_slice(b"\",\"ReceiptHandle\":\"");
        out.extend_from_slice(b.receipt_handle(d.receipt).as_bytes());
        out.extend_from_slice(b"\",\"MD5OfBody\":\"");
        out.extend_from_slice(hex(&m.body_md5).as_bytes());
        out.extend_from_slice(b"\",\"Body\":");
        let payload = m.payload.load()?;
        string(out, payload.body());
        if system != 0 {
            out.extend_from_slice(b",\"Attributes\":{");
            let mut first = true;
            let mut field = |out: &mut Vec<u8>, bit: u32, value: Option<&[u8]>| {
                // As in JS: an attribute with an empty value is left out.
                let Some(v) = value.filter(|v| system & bit != 0 && !v.is_empty()) else { return };
                if !first {
                    out.push(b',');
                }
                first = false;
                out.push(b'"');
                out.extend_from_slice(system_name(bit).as_bytes());
                out.extend_from_slice(b"\":");
                string(out, v);
            };
            let sent = m.sent_ms.to_string();
            let count = m.receive_count.to_string();
            let first_receive = m.first_receive_ms.to_string();
            let seqn = if m.sequence_number == 0 { String::new() } else { m.sequence_number.to_string() };
            field(out, SENDER_ID, Some(m.sender_id.as_bytes()));
            field(out, SENT_TIMESTAMP, Some(sent.as_bytes()));
            field(out, RECEIVE_COUNT, Some(count.as_bytes()));
            field(out, FIRST_RECEIVE_TIMESTAMP, Some(first_receive.as_bytes()));
            field(out, SEQUENCE_NUMBER, Some(seqn.as_bytes()));
            field(out, DEDUPLICATION_ID, m.dedup_id().map(str::as_bytes));
            field(out, GROUP_ID, m.group_id.as_deref().map(str::as_bytes));
            field(out, TRACE_HEADER, m.trace_header().map(str::as_bytes));
            field(out, DEAD_LETTER_SOURCE_ARN, m.dead_letter_source_arn().map(str::as_bytes));
            out.push(b'}');
        }
        let stored = payload.attributes();
        if attributes && !stored.is_empty() {
            out.extend_from_slice(b",\"MD5OfMessageAttributes\":\"");
            out.extend_from_slice(m.attributes_md5.map(|h| hex(&h)).unwrap_or_default().as_bytes());
            // Stored as the JSON the control plane wrote (JSON.stringify of the parsed map).
            out.extend_from_slice(b"\",\"MessageAttributes\":");
            out.extend_from_slice(stored);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// A JSON string as `JSON.stringify` writes it: `"` and `\` escaped, the C0 controls as their
/// short escapes or `\u00xx`, everything else (UTF-8 included) as it is.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut run = 0;
    for (i, &c) in s.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&s[run..i]);
        run = i + 1;
        if short == 0 {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 15)]);
        } else {
            out.push(b'\\');
            out.push(short);
        }
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::string;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_as_json_stringify_does() {
        assert_eq!(esc("plain"), "\"plain\"");
        assert_eq!(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(esc("\n\r\t\u{8}\u{c}"), "\"\\n\\r\\t\\b\\f\"");
        assert_eq!(esc("\u{1}\u{1f}x"), "\"\\u0001\\u001fx\"");
        assert_eq!(esc("é ✓ 😀 \u{7f} / \u{2028}"), "\"é ✓ 😀 \u{7f} / \u{2028}\"");
        assert_eq!(esc(""), "\"\"");
    }
}
