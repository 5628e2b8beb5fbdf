//! The next segment, written full of zeros ahead of time by a background thread.
//!
//! An fdatasync after an append that grows a file also commits the file's new size and block
//! allocation; after an overwrite of blocks that already exist it flushes only the data (the
//! figures are in `docs/design/wal.md`: about half the latency on this project's VM disk), and
//! every request that waits for the log waits for that. So in fsync mode the writer appends into segments that were
//! zero-filled and synced beforehand, and recovery reads an all-zero tail as the clean end of
//! the log (a zero length field never frames a valid record).
//!
//! The file is named with the `.tmp` suffix, which recovery deletes as stale: a crash while it is
//! being written leaves nothing to confuse with log data.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::storage::Fs;

/// The spare's file name until the writer renames it to a segment's name.
pub(crate) const SPARE_NAME: &str = "segment-spare.tmp";
/// Zeros written per call.
const CHUNK_BYTES: usize = 1024 * 1024;

pub(crate) struct Spare {
    ready: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Spare {
    /// Starts writing `SPARE_NAME` with `bytes` zeros in the background.
    pub fn start(fs: Arc<dyn Fs>, bytes: u64) -> Spare {
        let ready = Arc::new(AtomicBool::new(false));
        let cancel = Arc::new(AtomicBool::new(false));
        let (r, c) = (ready.clone(), cancel.clone());
        let thread = std::thread::Builder::new()
            .name("sluice-wal-spare".into())
            .spawn(move || {
                let written = (|| {
                    let file = fs.create(SPARE_NAME)?;
                    let zeros = vec![0u8; CHUNK_BYTES];
                    let mut at = 0u64;
                    while at < bytes {
                        if c.load(Ordering::Relaxed) {
                            return Ok(false);
                        }
                        let n = usize::try_from((bytes - at).min(CHUNK_BYTES as u64))
                            .expect("chunk fits");
                        file.write_at(at, &zeros[..n])?;
                        at += n as u64;
                    }
                    file.sync()?;
                    Ok(true)
                })();
                match written {
                    Ok(true) => r.store(true, Ordering::Release),
                    // Short of space (or any error): give the space back to the log itself,
                    // which then appends as it would without a spare.
                    Ok(false) | Err(_) => {
                        let _ = fs.remove(SPARE_NAME);
                    }
                }
                written.map(|_| ())
            })
            .ok();
        Spare {
            ready,
            cancel,
            thread,
        }
    }

    /// True once the whole file is written and durable; the writer may then rename it.
    pub fn ready(&mut self) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return false;
        }
        if let Some(t) = self.thread.take() {
            // The thread has stored `ready` as its last step; this join does not block.
            let _ = t.join();
        }
        true
    }

    /// The thread ended without a spare (short of space, an I/O error): start another later.
    pub fn failed(&self) -> bool {
        !self.ready.load(Ordering::Acquire)
            && self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the thread and removes the file (clean shutdown). A failure here only leaves a
    /// `.tmp` file that the next open deletes.
    pub fn discard(mut self, fs: &dyn Fs) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = fs.remove(SPARE_NAME);
    }
}
