//! Receipt handles: opaque, self-validating tokens naming (queue, message, lease generation), so
//! a stale or forged handle is recognised without a table scan.

/// What a handle names. `queue_id` is never reused, so a handle from a deleted queue that was
/// recreated under the same name does not match the new queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub queue_id: u64,
    pub seq: u64,
    pub lease_gen: u32,
}

const RAW_BYTES: usize = 24;
const ENCODED_CHARS: usize = 32;
const _: () = assert!(RAW_BYTES % 3 == 0 && RAW_BYTES / 3 * 4 == ENCODED_CHARS);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Keyed 32-bit check over the fields. Not a cryptographic MAC: its job is to tell a garbage or
/// mistyped handle from a real one, as AWS's `ReceiptHandleIsInvalid` does.
fn check(key: u64, r: Receipt) -> u32 {
    let mut x = key ^ r.queue_id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = mix(x ^ r.seq.wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    x = mix(x ^ u64::from(r.lease_gen));
    #[allow(clippy::cast_possible_truncation)]
    let folded = (x ^ (x >> 32)) as u32;
    folded
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[must_use]
pub fn encode(key: u64, r: Receipt) -> String {
    let mut raw = [0u8; RAW_BYTES];
    raw[0..8].copy_from_slice(&r.queue_id.to_le_bytes());
    raw[8..16].copy_from_slice(&r.seq.to_le_bytes());
    raw[16..20].copy_from_slice(&r.lease_gen.to_le_bytes());
    raw[20..24].copy_from_slice(&check(key, r).to_le_bytes());
    let mut out = String::with_capacity(ENCODED_CHARS);
    for chunk in raw.chunks_exact(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
        }
    }
    debug_assert_eq!(out.len(), ENCODED_CHARS);
    out
}

/// `None` for anything that is not a handle this broker issued.
#[must_use]
pub fn decode(key: u64, handle: &str) -> Option<Receipt> {
    let text = handle.as_bytes();
    if text.len() != ENCODED_CHARS {
        return None;
    }
    let mut raw = [0u8; RAW_BYTES];
    for (i, quad) in text.chunks_exact(4).enumerate() {
        let mut n = 0u32;
        for &c in quad {
            let v = ALPHABET.iter().position(|&a| a == c)?;
            n = (n << 6) | u32::try_from(v).ok()?;
        }
        raw[i * 3..i * 3 + 3].copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let word = |a: usize| u64::from_le_bytes(raw[a..a + 8].try_into().expect("8 bytes"));
    let half = |a: usize| u32::from_le_bytes(raw[a..a + 4].try_into().expect("4 bytes"));
    let r = Receipt { queue_id: word(0), seq: word(8), lease_gen: half(16) };
    (check(key, r) == half(20)).then_some(r)
}

/// Lower-case hex, for MD5 digests and ids (a table, not `fmt`: it runs per message).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_rejects_tampering() {
        let r = Receipt { queue_id: 7, seq: 123_456, lease_gen: 3 };
        let h = encode(42, r);
        assert_eq!(h.len(), ENCODED_CHARS);
        assert_eq!(decode(42, &h), Some(r));
        assert_eq!(decode(43, &h), None, "another broker's key");
        let mut bad = h.clone().into_bytes();
        bad[5] = if bad[5] == b'A' { b'B' } else { b'A' };
        assert_eq!(decode(42, std::str::from_utf8(&bad).unwrap()), None);
        assert_eq!(decode(42, "garbage"), None);
        assert_eq!(decode(42, &"!".repeat(32)), None);
    }
}
