//! The one error type of the log. Variants say what the caller can do about them.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the log.
#[derive(Debug)]
#[non_exhaustive]
pub enum WalError {
    /// An operating-system I/O error outside the sticky write path (opening, listing, reading,
    /// checkpoint files).
    Io(io::Error),
    /// Another process (or another `Wal` in this process) holds the lock on `dir/LOCK`.
    Locked { dir: PathBuf },
    /// The log on disk fails validation at `file`, byte `offset`. Never repaired silently.
    Corrupt {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    /// A write or fsync failed earlier; the log refuses further appends (fail-stop). The text is
    /// the first error. See `Wal::retry_after_error` for the one recoverable case.
    PreviousIo { first: String },
    /// One record payload is larger than `RECORD_PAYLOAD_BYTES_MAX`.
    RecordTooLarge { len: u64, max: u64 },
    /// The log was closed.
    Closed,
    /// `finish_checkpoint` was given a token older than a checkpoint that already finished.
    CheckpointSuperseded { boundary: u64, last: u64 },
}

impl fmt::Display for WalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalError::Io(e) => write!(f, "wal I/O error: {e}"),
            WalError::Locked { dir } => {
                write!(
                    f,
                    "wal directory {} is locked by another process",
                    dir.display()
                )
            }
            WalError::Corrupt {
                file,
                offset,
                reason,
            } => {
                write!(
                    f,
                    "wal corrupt: {} at byte {offset}: {reason}",
                    file.display()
                )
            }
            WalError::PreviousIo { first } => {
                write!(f, "wal refused: an earlier write or fsync failed ({first})")
            }
            WalError::RecordTooLarge { len, max } => {
                write!(
                    f,
                    "wal record of {len} bytes exceeds the maximum of {max} bytes"
                )
            }
            WalError::Closed => write!(f, "wal is closed"),
            WalError::CheckpointSuperseded { boundary, last } => write!(
                f,
                "checkpoint at lsn {boundary} is older than the finished checkpoint at lsn {last}"
            ),
        }
    }
}

impl std::error::Error for WalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WalError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for WalError {
    fn from(e: io::Error) -> Self {
        WalError::Io(e)
    }
}
