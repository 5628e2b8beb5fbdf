//! On-disk format: segment header, record frame, snapshot header, file names.
//!
//! Every integer is a fixed-size little-endian value; nothing depends on pointer width.
//! The byte tables are in `docs/design/wal.md`.

use crate::Lsn;

/// Magic at byte 0 of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"SLUICEWL";
/// Magic at byte 0 of every snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"SLUICESN";
/// Format version of segments (snapshots have `SNAPSHOT_VERSION_*`). Bump on any layout change.
pub const FORMAT_VERSION: u32 = 1;
/// Segment header: `magic(8) version(4) header_bytes(4) first_lsn(8) reserved(4) crc(4)`.
pub const SEGMENT_HEADER_LEN: usize = 32;
/// `SEGMENT_HEADER_LEN` as stored in the header's own `header_bytes` field.
const SEGMENT_HEADER_FIELD: u32 = 32;
const _: () = assert!(SEGMENT_HEADER_FIELD as usize == SEGMENT_HEADER_LEN);
/// `SEGMENT_HEADER_LEN` as a file offset.
pub const SEGMENT_HEADER_BYTES: u64 = SEGMENT_HEADER_LEN as u64;
/// Snapshot version 1: the payload is one opaque blob (still read; no longer written).
pub const SNAPSHOT_VERSION_WHOLE: u32 = 1;
/// Snapshot version 2: the payload is a sequence of parts, each `len(4)` then that many bytes,
/// written and read back one at a time so neither side holds the whole snapshot in memory.
pub const SNAPSHOT_VERSION_PARTS: u32 = 2;
/// Largest snapshot part: as large as a record may be (parts hold whole state records, and a
/// larger length read from a damaged file is rejected before any allocation).
pub const SNAPSHOT_PART_BYTES_MAX: u64 = RECORD_PAYLOAD_BYTES_MAX;
/// Snapshot header: `magic(8) version(4) reserved(4) boundary_lsn(8) payload_len(8)
/// payload_crc(4) header_crc(4)`.
pub const SNAPSHOT_HEADER_LEN: usize = 40;
/// `SNAPSHOT_HEADER_LEN` as a file offset.
pub const SNAPSHOT_HEADER_BYTES: u64 = SNAPSHOT_HEADER_LEN as u64;
/// Record frame: `len(4) crc(4)`, then the payload.
pub const RECORD_HEADER_LEN: usize = 8;
/// Largest record payload. The broker writes at most one `SendMessageBatch` per record: 10 entries
/// of up to 1 MiB of body each, plus attributes, stays under 16 MiB; 32 MiB leaves headroom
/// and still rejects a garbage length field read from a torn or corrupt frame.
pub const RECORD_PAYLOAD_BYTES_MAX: u64 = 32 * 1024 * 1024;

const _: () = assert!(RECORD_PAYLOAD_BYTES_MAX <= u32::MAX as u64);
const _: () = assert!(SEGMENT_HEADER_LEN == 8 + 4 + 4 + 8 + 4 + 4);
const _: () = assert!(SNAPSHOT_HEADER_LEN == 8 + 4 + 4 + 8 + 8 + 4 + 4);
const _: () = assert!(RECORD_HEADER_LEN == 4 + 4);

/// The checksum of one record: CRC-32C over the 4 length bytes followed by the payload, so a
/// torn or flipped length is caught as well as a damaged payload.
#[must_use]
pub fn record_crc(len_le: [u8; 4], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&len_le), payload)
}

/// Appends one framed record to `buf`. The caller has checked the payload size.
pub fn encode_record_into(buf: &mut Vec<u8>, payload: &[u8], crc: u32) {
    let len = u32::try_from(payload.len()).expect("payload length checked by caller");
    assert!(u64::from(len) <= RECORD_PAYLOAD_BYTES_MAX);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// Why a frame failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFault {
    /// Fewer bytes remain than the header or the declared length needs.
    Truncated,
    /// The declared length exceeds `RECORD_PAYLOAD_BYTES_MAX`.
    BadLength,
    /// The checksum does not match.
    BadChecksum,
}

impl FrameFault {
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            FrameFault::Truncated => "record extends past the end of the file",
            FrameFault::BadLength => "record length exceeds the maximum",
            FrameFault::BadChecksum => "record checksum mismatch",
        }
    }
}

/// Decodes the frame at `bytes[at..]`. Returns the payload range and the offset after it.
pub fn decode_record(bytes: &[u8], at: usize) -> Result<(usize, usize), FrameFault> {
    let header_end = at.checked_add(8).ok_or(FrameFault::Truncated)?;
    if header_end > bytes.len() {
        return Err(FrameFault::Truncated);
    }
    let len_le: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
    let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
    let len = u32::from_le_bytes(len_le);
    if u64::from(len) > RECORD_PAYLOAD_BYTES_MAX {
        return Err(FrameFault::BadLength);
    }
    let end = header_end + usize::try_from(len).map_err(|_| FrameFault::BadLength)?;
    if end > bytes.len() {
        return Err(FrameFault::Truncated);
    }
    if record_crc(len_le, &bytes[header_end..end]) != crc {
        return Err(FrameFault::BadChecksum);
    }
    Ok((header_end, end))
}

/// Encodes the 32-byte segment header.
#[must_use]
pub fn encode_segment_header(first_lsn: Lsn) -> [u8; SEGMENT_HEADER_LEN] {
    assert!(first_lsn >= 1);
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[0..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&SEGMENT_HEADER_FIELD.to_le_bytes());
    h[16..24].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32c::crc32c(&h[0..28]);
    h[28..32].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Decodes a segment header; returns its first Lsn or what is wrong with it.
pub fn decode_segment_header(h: &[u8]) -> Result<Lsn, &'static str> {
    if h.len() < SEGMENT_HEADER_LEN {
        return Err("segment header is truncated");
    }
    let crc = u32::from_le_bytes(h[28..32].try_into().expect("4 bytes"));
    if crc32c::crc32c(&h[0..28]) != crc {
        return Err("segment header checksum mismatch");
    }
    if h[0..8] != SEGMENT_MAGIC {
        return Err("segment header magic mismatch");
    }
    if u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")) != FORMAT_VERSION {
        return Err("unsupported segment format version");
    }
    let header_bytes = u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
    if u64::from(header_bytes) != SEGMENT_HEADER_BYTES {
        return Err("unsupported segment header size");
    }
    Ok(u64::from_le_bytes(h[16..24].try_into().expect("8 bytes")))
}

/// Encodes the 40-byte snapshot header of a version-1 (whole) snapshot of `payload`.
#[must_use]
pub fn encode_snapshot_header(boundary: Lsn, payload: &[u8]) -> [u8; SNAPSHOT_HEADER_LEN] {
    let header = SnapshotHeader {
        boundary,
        version: SNAPSHOT_VERSION_WHOLE,
        payload_len: payload.len() as u64,
        payload_crc: crc32c::crc32c(payload),
    };
    header.encode()
}

/// A snapshot file's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotHeader {
    pub boundary: Lsn,
    pub version: u32,
    pub payload_len: u64,
    pub payload_crc: u32,
}

impl SnapshotHeader {
    #[must_use]
    pub fn encode(&self) -> [u8; SNAPSHOT_HEADER_LEN] {
        assert!(self.boundary >= 1);
        assert!(self.version == SNAPSHOT_VERSION_WHOLE || self.version == SNAPSHOT_VERSION_PARTS);
        let mut h = [0u8; SNAPSHOT_HEADER_LEN];
        h[0..8].copy_from_slice(&SNAPSHOT_MAGIC);
        h[8..12].copy_from_slice(&self.version.to_le_bytes());
        h[16..24].copy_from_slice(&self.boundary.to_le_bytes());
        h[24..32].copy_from_slice(&self.payload_len.to_le_bytes());
        h[32..36].copy_from_slice(&self.payload_crc.to_le_bytes());
        let crc = crc32c::crc32c(&h[0..36]);
        h[36..40].copy_from_slice(&crc.to_le_bytes());
        h
    }

    /// Validates the header of a snapshot file of `file_len` bytes (not its payload).
    pub fn decode(h: &[u8], file_len: u64) -> Result<Self, &'static str> {
        if h.len() < SNAPSHOT_HEADER_LEN || file_len < SNAPSHOT_HEADER_BYTES {
            return Err("snapshot header is truncated");
        }
        if crc32c::crc32c(&h[0..36]) != u32::from_le_bytes(h[36..40].try_into().expect("4 bytes")) {
            return Err("snapshot header checksum mismatch");
        }
        if h[0..8] != SNAPSHOT_MAGIC {
            return Err("snapshot magic mismatch");
        }
        let version = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
        if version != SNAPSHOT_VERSION_WHOLE && version != SNAPSHOT_VERSION_PARTS {
            return Err("unsupported snapshot format version");
        }
        let header = Self {
            boundary: u64::from_le_bytes(h[16..24].try_into().expect("8 bytes")),
            version,
            payload_len: u64::from_le_bytes(h[24..32].try_into().expect("8 bytes")),
            payload_crc: u32::from_le_bytes(h[32..36].try_into().expect("4 bytes")),
        };
        if header.payload_len != file_len - SNAPSHOT_HEADER_BYTES {
            return Err("snapshot length does not match the file size");
        }
        Ok(header)
    }
}

/// Validates a whole version-1 snapshot file image; returns (boundary, payload range).
pub fn decode_snapshot(bytes: &[u8]) -> Result<(Lsn, std::ops::Range<usize>), &'static str> {
    let header = SnapshotHeader::decode(bytes, bytes.len() as u64)?;
    if crc32c::crc32c(&bytes[SNAPSHOT_HEADER_LEN..]) != header.payload_crc {
        return Err("snapshot payload checksum mismatch");
    }
    Ok((header.boundary, SNAPSHOT_HEADER_LEN..bytes.len()))
}

/// `wal-<20-digit first lsn>.log`
#[must_use]
pub fn segment_name(first_lsn: Lsn) -> String {
    format!("wal-{first_lsn:020}.log")
}

/// `snap-<20-digit boundary lsn>.snap`
#[must_use]
pub fn snapshot_name(boundary: Lsn) -> String {
    format!("snap-{boundary:020}.snap")
}

/// Suffix of snapshot files still being written; removed at open.
pub const TMP_SUFFIX: &str = ".tmp";

fn parse_numbered(name: &str, prefix: &str, suffix: &str) -> Option<Lsn> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The first Lsn named by a segment file name.
#[must_use]
pub fn parse_segment_name(name: &str) -> Option<Lsn> {
    parse_numbered(name, "wal-", ".log")
}

/// The boundary Lsn named by a snapshot file name.
#[must_use]
pub fn parse_snapshot_name(name: &str) -> Option<Lsn> {
    parse_numbered(name, "snap-", ".snap")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_roundtrip_and_faults() {
        let mut buf = Vec::new();
        let payloads: [&[u8]; 3] = [b"", b"hello", &[7u8; 1000]];
        for p in payloads {
            let len = u32::try_from(p.len()).unwrap().to_le_bytes();
            encode_record_into(&mut buf, p, record_crc(len, p));
        }
        let mut at = 0;
        for p in payloads {
            let (start, end) = decode_record(&buf, at).unwrap();
            assert_eq!(&buf[start..end], p);
            at = end;
        }
        assert_eq!(at, buf.len());
        assert_eq!(decode_record(&buf, at), Err(FrameFault::Truncated));
        assert_eq!(
            decode_record(&buf[..buf.len() - 1], 21),
            Err(FrameFault::Truncated)
        );
        let mut flipped = buf.clone();
        flipped[8 + 8 + 2] ^= 0x10;
        assert_eq!(decode_record(&flipped, 8), Err(FrameFault::BadChecksum));
        let mut long = buf.clone();
        long[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_record(&long, 8), Err(FrameFault::BadLength));
        // A zeroed frame (a hole the filesystem filled with zeros) never checks out.
        assert_eq!(decode_record(&[0u8; 8], 0), Err(FrameFault::BadChecksum));
    }

    #[test]
    fn headers_and_names_roundtrip() {
        let h = encode_segment_header(42);
        assert_eq!(decode_segment_header(&h), Ok(42));
        let mut bad = h;
        bad[17] ^= 1;
        assert!(decode_segment_header(&bad).is_err());
        let mut snap = encode_snapshot_header(9, b"state").to_vec();
        snap.extend_from_slice(b"state");
        let (b, range) = decode_snapshot(&snap).unwrap();
        assert_eq!((b, &snap[range]), (9, &b"state"[..]));
        snap[41] ^= 1;
        assert!(decode_snapshot(&snap).is_err());
        assert_eq!(segment_name(1), "wal-00000000000000000001.log");
        assert_eq!(parse_segment_name(&segment_name(123_456)), Some(123_456));
        assert_eq!(parse_snapshot_name(&snapshot_name(77)), Some(77));
        assert_eq!(parse_segment_name("wal-1.log"), None);
    }
}
