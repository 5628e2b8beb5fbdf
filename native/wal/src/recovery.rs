//! Replay and validation: the one scan that both `Wal::open` and `check` run.
//!
//! The scan is read-only. It finds the newest snapshot, then walks every segment at or after the
//! snapshot's boundary in Lsn order, validating each frame and handing each payload to a
//! callback. What it decides (a torn tail to cut, stale files to delete) it reports; `Wal::open`
//! applies those repairs, `check` only prints them.

use std::path::PathBuf;

use crate::record::{
    decode_record, decode_segment_header, parse_segment_name, parse_snapshot_name, SnapshotHeader,
    RECORD_PAYLOAD_BYTES_MAX, SEGMENT_HEADER_BYTES, SEGMENT_HEADER_LEN, SNAPSHOT_HEADER_BYTES,
    SNAPSHOT_HEADER_LEN, SNAPSHOT_PART_BYTES_MAX, SNAPSHOT_VERSION_WHOLE, TMP_SUFFIX,
};
use crate::storage::Fs;
use crate::{Lsn, Replay, WalError};

/// One segment that recovery kept.
pub(crate) struct SegmentScan {
    pub name: String,
    pub first_lsn: Lsn,
    pub records: u64,
    /// Bytes of valid header and frames; the file is cut to this length by `open`.
    pub valid_len: u64,
    pub file_len: u64,
    /// The header itself was torn (only possible in the last segment): `open` rewrites it.
    pub header_torn: bool,
    /// Past the last record the file holds only zeros: a zero-filled segment's unused part,
    /// not a torn write (`open` still trims it).
    pub zero_tail: bool,
}

/// What the scan found.
pub(crate) struct Scan {
    pub snapshot: Option<(Lsn, String, u64)>,
    pub segments: Vec<SegmentScan>,
    /// Files that a finished checkpoint or an interrupted one left behind.
    pub stale: Vec<String>,
    pub records: u64,
    pub next_lsn: Lsn,
    pub truncated_tail: Option<(PathBuf, u64)>,
}

fn corrupt(fs: &dyn Fs, name: &str, offset: u64, reason: impl Into<String>) -> WalError {
    WalError::Corrupt {
        file: fs.path_of(name),
        offset,
        reason: reason.into(),
    }
}

fn read_all(fs: &dyn Fs, name: &str, buf: &mut Vec<u8>) -> Result<u64, WalError> {
    let file = fs.open(name)?;
    let len = file.len()?;
    let len_usize = usize::try_from(len).map_err(|_| corrupt(fs, name, 0, "file too large"))?;
    buf.clear();
    buf.resize(len_usize, 0);
    file.read_at(0, buf)?;
    Ok(len)
}

/// Bytes read at a time while checking a snapshot's payload checksum.
const SNAPSHOT_READ_BYTES: usize = 1024 * 1024;

/// Validates the snapshot `name` (header, then the payload's checksum, read in pieces), then
/// hands its payload to `on_item`: whole for version 1, one part at a time for version 2. A
/// snapshot is checked completely before any of it is handed over. Returns the file's length.
fn replay_snapshot(
    fs: &dyn Fs,
    name: &str,
    boundary: Lsn,
    buf: &mut Vec<u8>,
    on_item: &mut dyn FnMut(Replay<'_>),
) -> Result<u64, WalError> {
    let file = fs.open(name)?;
    let file_len = file.len()?;
    let mut head = [0u8; SNAPSHOT_HEADER_LEN];
    if file_len >= SNAPSHOT_HEADER_BYTES {
        file.read_at(0, &mut head)?;
    }
    let header = SnapshotHeader::decode(&head, file_len).map_err(|r| corrupt(fs, name, 0, r))?;
    if header.boundary != boundary {
        return Err(corrupt(
            fs,
            name,
            16,
            "snapshot boundary does not match its file name",
        ));
    }
    let end = file_len;
    let mut crc = 0u32;
    let mut at = SNAPSHOT_HEADER_BYTES;
    buf.resize(SNAPSHOT_READ_BYTES, 0);
    while at < end {
        let n = usize::try_from((end - at).min(SNAPSHOT_READ_BYTES as u64)).expect("bounded");
        file.read_at(at, &mut buf[..n])?;
        crc = crc32c::crc32c_append(crc, &buf[..n]);
        at += n as u64;
    }
    if crc != header.payload_crc {
        return Err(corrupt(fs, name, 0, "snapshot payload checksum mismatch"));
    }
    if header.version == SNAPSHOT_VERSION_WHOLE {
        let len = usize::try_from(header.payload_len)
            .map_err(|_| corrupt(fs, name, 0, "file too large"))?;
        buf.resize(len, 0);
        file.read_at(SNAPSHOT_HEADER_BYTES, buf)?;
        on_item(Replay::Snapshot {
            boundary,
            payload: buf,
        });
        return Ok(file_len);
    }
    let mut at = SNAPSHOT_HEADER_BYTES;
    while at < end {
        let mut len4 = [0u8; 4];
        if end - at < 4 {
            return Err(corrupt(fs, name, at, "snapshot part length is truncated"));
        }
        file.read_at(at, &mut len4)?;
        let len = u64::from(u32::from_le_bytes(len4));
        // The checksum held, so a bad length here is a writer bug, not damage: still no panic.
        if len > SNAPSHOT_PART_BYTES_MAX || len > end - at - 4 {
            return Err(corrupt(fs, name, at, "snapshot part length out of range"));
        }
        let n = usize::try_from(len).expect("bounded by SNAPSHOT_PART_BYTES_MAX");
        buf.resize(n, 0);
        file.read_at(at + 4, &mut buf[..n])?;
        on_item(Replay::Snapshot {
            boundary,
            payload: &buf[..n],
        });
        at += 4 + len;
    }
    // Pair assertion, read side: the parts tiled the payload exactly.
    assert_eq!(at, end);
    Ok(file_len)
}

/// Runs the scan, calling `on_item` for the snapshot and then each record in Lsn order.
pub(crate) fn scan(fs: &dyn Fs, on_item: &mut dyn FnMut(Replay<'_>)) -> Result<Scan, WalError> {
    let mut segment_names: Vec<(Lsn, String)> = Vec::new();
    let mut snapshot_names: Vec<(Lsn, String)> = Vec::new();
    let mut stale = Vec::new();
    for name in fs.list()? {
        if let Some(lsn) = parse_segment_name(&name) {
            segment_names.push((lsn, name));
        } else if let Some(lsn) = parse_snapshot_name(&name) {
            snapshot_names.push((lsn, name));
        } else if name.ends_with(TMP_SUFFIX) {
            stale.push(name);
        }
    }
    segment_names.sort_unstable();
    snapshot_names.sort_unstable();

    let mut buf = Vec::new();
    let mut snapshot = None;
    if let Some((boundary, name)) = snapshot_names.pop() {
        let len = replay_snapshot(fs, &name, boundary, &mut buf, on_item)?;
        snapshot = Some((boundary, name, len));
    }
    stale.extend(snapshot_names.into_iter().map(|(_, n)| n));

    let boundary = snapshot.as_ref().map_or(1, |s| s.0);
    let live_from = segment_names.partition_point(|(lsn, _)| *lsn < boundary);
    stale.extend(segment_names.drain(..live_from).map(|(_, n)| n));

    let mut scan = Scan {
        snapshot,
        segments: Vec::with_capacity(segment_names.len()),
        stale,
        records: 0,
        next_lsn: boundary,
        truncated_tail: None,
    };
    if let Some((first, name)) = segment_names.first() {
        if *first != boundary {
            let reason = format!("missing segment: the log must continue at lsn {boundary}");
            return Err(corrupt(fs, name, 0, reason));
        }
    } else if let Some((_, name, _)) = &scan.snapshot {
        return Err(corrupt(
            fs,
            name,
            0,
            "missing segment at the snapshot boundary",
        ));
    }
    let count = segment_names.len();
    for (i, (first_lsn, name)) in segment_names.into_iter().enumerate() {
        if first_lsn != scan.next_lsn {
            let reason = format!(
                "missing segment: expected one starting at lsn {}",
                scan.next_lsn
            );
            return Err(corrupt(fs, &name, 0, reason));
        }
        let file_len = read_all(fs, &name, &mut buf)?;
        let seg = scan_segment(fs, name, first_lsn, file_len, &buf, i + 1 == count, on_item)?;
        if seg.valid_len < file_len && !seg.zero_tail {
            scan.truncated_tail = Some((fs.path_of(&seg.name), seg.valid_len));
        }
        scan.records += seg.records;
        scan.next_lsn = first_lsn + seg.records;
        scan.segments.push(seg);
    }
    Ok(scan)
}

/// Validates one segment image. Only the last segment may end in a torn frame or header.
fn scan_segment(
    fs: &dyn Fs,
    name: String,
    first_lsn: Lsn,
    file_len: u64,
    bytes: &[u8],
    last: bool,
    on_item: &mut dyn FnMut(Replay<'_>),
) -> Result<SegmentScan, WalError> {
    let mut seg = SegmentScan {
        name,
        first_lsn,
        records: 0,
        valid_len: 0,
        file_len,
        header_torn: false,
        zero_tail: false,
    };
    match decode_segment_header(bytes) {
        Ok(lsn) if lsn == first_lsn => {}
        Ok(_) => {
            return Err(corrupt(
                fs,
                &seg.name,
                16,
                "segment header lsn != file name",
            ))
        }
        // A crash while a rotation created this file (or renamed a zero-filled spare to it)
        // can leave its header torn; nothing was ever written after it, because records
        // follow only once the header is durable.
        Err(_)
            if last
                && (file_len <= SEGMENT_HEADER_BYTES
                    || all_zero(bytes.get(SEGMENT_HEADER_LEN..).unwrap_or(&[]))) =>
        {
            seg.header_torn = true;
            return Ok(seg);
        }
        Err(reason) => return Err(corrupt(fs, &seg.name, 0, reason)),
    }
    let mut at = usize::try_from(SEGMENT_HEADER_BYTES).expect("32 fits");
    while at < bytes.len() {
        match decode_record(bytes, at) {
            Ok((start, end)) => {
                // Pair assertion, read side: the frame checked out, so its bounds are sane.
                assert!((end - start) as u64 <= RECORD_PAYLOAD_BYTES_MAX);
                assert!(end <= bytes.len());
                on_item(Replay::Record {
                    lsn: first_lsn + seg.records,
                    payload: &bytes[start..end],
                });
                seg.records += 1;
                at = end;
            }
            Err(fault) => {
                let offset = at as u64;
                if !last {
                    return Err(corrupt(fs, &seg.name, offset, fault.describe()));
                }
                // The rest of a zero-filled segment (see `spare`): the clean end of the log.
                if all_zero(&bytes[at..]) {
                    seg.zero_tail = true;
                    break;
                }
                if let Some(next) = find_valid_frame(bytes, at + 1) {
                    let reason = format!(
                        "{}; a valid record follows at byte {next}",
                        fault.describe()
                    );
                    return Err(corrupt(fs, &seg.name, offset, reason));
                }
                break;
            }
        }
    }
    seg.valid_len = at as u64;
    Ok(seg)
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Looks for any offset at or after `from` where a whole valid frame starts. A torn tail is what
/// the last unsynced write left: garbage or zeros with nothing valid after it. A valid frame
/// past the damage means data that was once intact follows, so the damage is corruption.
fn find_valid_frame(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len().saturating_sub(7)).find(|&at| {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        // Cheap rejections first: most garbage lengths point past the end.
        u64::from(len) <= (bytes.len() - at - 8) as u64 && decode_record(bytes, at).is_ok()
    })
}
