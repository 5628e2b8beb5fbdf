//! Cold message bodies on disk: when the bodies held in memory pass a budget, newly stored
//! messages keep their body and attributes in a spill file in the data directory instead, and
//! a delivery reads them back. The file is a cache, not the record of truth: the write-ahead
//! log holds every body, recovery rebuilds the spill file (starting empty), and nothing in it
//! is ever fsynced. It is truncated whenever no spilled message remains.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

pub const SPILL_FILE: &str = "bodies.spill";

pub struct SpillStore {
    file: File,
    /// Append position; the mutex also serialises truncation against appends.
    end: Mutex<End>,
    /// Bytes of bodies and attributes held in memory, across all queues.
    resident: AtomicU64,
    /// Messages whose payload is in the file.
    spilled: AtomicU64,
    budget_bytes: u64,
}

struct End {
    at: u64,
    /// Whatever a previous run left in the file has been cut off.
    fresh: bool,
    /// Readers holding offsets beyond the live messages' (a checkpoint writing its snapshot):
    /// the file is not truncated while any is pinned.
    pins: u32,
}

impl SpillStore {
    /// Opens the file without touching its contents: the broker opens the store before the
    /// log's replay has taken the data directory's lock, and another process may own it. The
    /// old contents are cut at the first write (which recovery makes under that lock) or by
    /// `discard_stale`.
    pub fn open(dir: &Path, budget_bytes: u64) -> io::Result<Self> {
        #[allow(clippy::suspicious_open_options)] // truncation is deferred on purpose (see above)
        let file = OpenOptions::new().read(true).write(true).create(true).open(dir.join(SPILL_FILE))?;
        let end = Mutex::new(End { at: 0, fresh: false, pins: 0 });
        Ok(Self { file, end, resident: AtomicU64::new(0), spilled: AtomicU64::new(0), budget_bytes })
    }

    /// Cuts off a previous run's bodies if nothing was spilled yet (call once the data
    /// directory is locked).
    pub fn discard_stale(&self) -> io::Result<()> {
        let mut end = self.end.lock();
        Self::freshen(&self.file, &mut end)
    }

    fn freshen(file: &File, end: &mut End) -> io::Result<()> {
        if !end.fresh {
            file.set_len(0)?;
            *end = End { at: 0, fresh: true, pins: end.pins };
        }
        Ok(())
    }

    /// Whether a new payload of `len` bytes should go to disk.
    #[must_use]
    pub fn over_budget(&self, len: u64) -> bool {
        self.resident.load(Ordering::Relaxed) + len > self.budget_bytes
    }

    pub fn hold(&self, len: u64) {
        self.resident.fetch_add(len, Ordering::Relaxed);
    }

    pub fn release(&self, len: u64) {
        self.resident.fetch_sub(len, Ordering::Relaxed);
    }

    /// Appends `bytes`; returns their offset.
    pub fn write(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut end = self.end.lock();
        Self::freshen(&self.file, &mut end)?;
        let at = end.at;
        self.file.write_all_at(bytes, at)?;
        end.at += bytes.len() as u64;
        self.spilled.fetch_add(1, Ordering::Relaxed);
        Ok(at)
    }

    pub fn read(&self, offset: u64, len: u32) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len as usize];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }

    /// Keeps every spilled body readable, even of messages deleted meanwhile, until `unpin`.
    pub fn pin(&self) {
        self.end.lock().pins += 1;
    }

    pub fn unpin(&self) {
        let mut end = self.end.lock();
        assert!(end.pins > 0);
        end.pins -= 1;
        if end.pins == 0 && self.spilled.load(Ordering::Relaxed) == 0 && end.at > 0 {
            let _ = self.file.set_len(0);
            end.at = 0;
        }
    }

    /// A spilled message is gone; the file is emptied when none remains (and none is pinned).
    pub fn forget(&self) {
        let mut end = self.end.lock();
        if self.spilled.fetch_sub(1, Ordering::Relaxed) == 1 && end.pins == 0 {
            // Best effort: a failed truncate only leaves dead bytes behind.
            let _ = self.file.set_len(0);
            end.at = 0;
        }
    }

    #[must_use]
    pub fn resident_bytes(&self) -> u64 {
        self.resident.load(Ordering::Relaxed)
    }

    #[must_use]
    pub fn spilled_messages(&self) -> u64 {
        self.spilled.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_file_keeps_forgotten_bodies_until_unpinned() {
        let dir = std::env::temp_dir().join(format!("sluice-spill-pin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = SpillStore::open(&dir, 0).unwrap();
        let a = store.write(b"first body").unwrap();
        let b = store.write(b"second").unwrap();
        store.pin();
        store.forget();
        store.forget();
        assert_eq!(store.spilled_messages(), 0);
        // A checkpoint holding these offsets still reads them back.
        assert_eq!(store.read(a, 10).unwrap(), b"first body");
        assert_eq!(store.read(b, 6).unwrap(), b"second");
        store.unpin();
        assert_eq!(std::fs::metadata(dir.join(SPILL_FILE)).unwrap().len(), 0, "emptied once unpinned");
        let c = store.write(b"again").unwrap();
        assert_eq!(c, 0);
        store.forget();
        assert_eq!(std::fs::metadata(dir.join(SPILL_FILE)).unwrap().len(), 0, "emptied when nothing is pinned");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
