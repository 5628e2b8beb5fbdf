//! `CrashFs`: an in-memory directory that remembers which bytes and which directory entries are
//! durable, so a test can "pull the plug" and see exactly what a real disk would keep. After
//! redb's `tests/crash_consistency.rs` (`live` vs `durable` bytes, crash at sync N).
//!
//! The model is strict POSIX: file bytes become durable only by `sync()` on that file; a
//! creation, rename or removal becomes durable only by `sync_dir()`. At a crash, each file that
//! the durable directory names keeps its durable bytes, optionally followed by a random prefix
//! of the bytes appended after its last sync (a torn write). Meant for tests, including the
//! broker's own crash tests; nothing in the log itself uses it.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::storage::{vec_read_at, vec_write_at, Fs, Storage};

#[derive(Default)]
struct Inode {
    live: Vec<u8>,
    durable: Vec<u8>,
}

type InodeRef = Arc<Mutex<Inode>>;

#[derive(Default)]
struct CrashState {
    live_dir: BTreeMap<String, InodeRef>,
    durable_dir: BTreeMap<String, InodeRef>,
    /// Successful `sync()` and `sync_dir()` calls so far.
    syncs: u64,
    /// The sync call with this 1-based number never completes: the machine "crashes" in it.
    crash_at_sync: Option<u64>,
    crashed: bool,
    /// The next `n` writes fail with ENOSPC after writing half of their bytes.
    enospc_writes: u32,
    /// The next `n` syncs fail with EIO (and make nothing durable).
    eio_syncs: u32,
    writes: u64,
}

impl CrashState {
    fn check_alive(&self) -> io::Result<()> {
        if self.crashed {
            return Err(io::Error::other("simulated crash: the machine is down"));
        }
        Ok(())
    }

    /// Counts a sync; returns an error if this one crashes or is set to fail.
    fn begin_sync(&mut self) -> io::Result<()> {
        self.check_alive()?;
        if self.eio_syncs > 0 {
            self.eio_syncs -= 1;
            return Err(io::Error::from_raw_os_error(5));
        }
        if self.crash_at_sync == Some(self.syncs + 1) {
            self.crashed = true;
            return Err(io::Error::other("simulated crash during sync"));
        }
        self.syncs += 1;
        Ok(())
    }
}

/// The simulated directory. Cloning shares it.
#[derive(Clone, Default)]
pub struct CrashFs {
    state: Arc<Mutex<CrashState>>,
}

/// One file of a `CrashFs`.
pub struct CrashStorage {
    state: Arc<Mutex<CrashState>>,
    inode: InodeRef,
}

impl CrashFs {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The `n`th sync from now on (1-based) crashes the machine: it fails, and so does every
    /// later operation, and nothing more becomes durable.
    pub fn crash_at_sync(&self, n: u64) {
        let mut s = self.state.lock();
        s.crash_at_sync = Some(s.syncs + n);
    }

    /// Crashes the machine now.
    pub fn crash_now(&self) {
        self.state.lock().crashed = true;
    }

    /// True once the simulated machine has crashed.
    #[must_use]
    pub fn crashed(&self) -> bool {
        self.state.lock().crashed
    }

    /// Successful syncs (file and directory) so far.
    #[must_use]
    pub fn syncs(&self) -> u64 {
        self.state.lock().syncs
    }

    /// Writes attempted so far.
    #[must_use]
    pub fn writes(&self) -> u64 {
        self.state.lock().writes
    }

    /// The next `n` writes write half their bytes, then fail with ENOSPC.
    pub fn fail_writes_enospc(&self, n: u32) {
        self.state.lock().enospc_writes = n;
    }

    /// The next `n` syncs fail with EIO.
    pub fn fail_syncs_eio(&self, n: u32) {
        self.state.lock().eio_syncs = n;
    }

    /// The disk as a reboot would find it: a fresh, healthy `CrashFs` holding only durable
    /// state. With `torn_seed`, each file also keeps a pseudo-random prefix of the bytes that
    /// were appended after its last sync, as a torn write would leave them.
    #[must_use]
    pub fn reboot(&self, torn_seed: Option<u64>) -> CrashFs {
        let s = self.state.lock();
        let mut rng = torn_seed.map(XorShift::new);
        let mut fresh = CrashState::default();
        for (name, inode) in &s.durable_dir {
            let inode = inode.lock();
            let mut bytes = inode.durable.clone();
            if let Some(rng) = rng.as_mut() {
                if inode.live.len() > bytes.len() && inode.live.starts_with(&bytes) {
                    let extra = inode.live.len() - bytes.len();
                    let keep = usize::try_from(rng.next_u64() % (extra as u64 + 1)).expect("fits");
                    bytes.extend_from_slice(&inode.live[inode.durable.len()..][..keep]);
                }
            }
            let copy = Inode {
                live: bytes.clone(),
                durable: bytes,
            };
            let copy = Arc::new(Mutex::new(copy));
            fresh.live_dir.insert(name.clone(), copy.clone());
            fresh.durable_dir.insert(name.clone(), copy);
        }
        CrashFs {
            state: Arc::new(Mutex::new(fresh)),
        }
    }

    /// The live contents of a file, if it exists.
    #[must_use]
    pub fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .live_dir
            .get(name)
            .map(|i| i.lock().live.clone())
    }

    /// Replaces a file's contents, live and durable (for tests that damage the disk).
    pub fn write_file(&self, name: &str, bytes: &[u8]) {
        let mut s = self.state.lock();
        let inode = Arc::new(Mutex::new(Inode {
            live: bytes.to_vec(),
            durable: bytes.to_vec(),
        }));
        s.live_dir.insert(name.to_string(), inode.clone());
        s.durable_dir.insert(name.to_string(), inode);
    }

    /// Removes a file, live and durable.
    pub fn delete_file(&self, name: &str) {
        let mut s = self.state.lock();
        s.live_dir.remove(name);
        s.durable_dir.remove(name);
    }

    fn storage(&self, inode: InodeRef) -> Box<dyn Storage> {
        Box::new(CrashStorage {
            state: self.state.clone(),
            inode,
        })
    }
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

impl Fs for CrashFs {
    fn open(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        let s = self.state.lock();
        s.check_alive()?;
        let inode = s
            .live_dir
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        drop(s);
        Ok(self.storage(inode))
    }
    fn create(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        let mut s = self.state.lock();
        s.check_alive()?;
        let inode: InodeRef = Arc::default();
        s.live_dir.insert(name.to_string(), inode.clone());
        drop(s);
        Ok(self.storage(inode))
    }
    fn list(&self) -> io::Result<Vec<String>> {
        let s = self.state.lock();
        s.check_alive()?;
        Ok(s.live_dir.keys().cloned().collect())
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        let mut s = self.state.lock();
        s.check_alive()?;
        s.live_dir
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut s = self.state.lock();
        s.check_alive()?;
        let inode = s.live_dir.remove(from).ok_or_else(|| not_found(from))?;
        s.live_dir.insert(to.to_string(), inode);
        Ok(())
    }
    fn sync_dir(&self) -> io::Result<()> {
        let mut s = self.state.lock();
        s.begin_sync()?;
        s.durable_dir = s.live_dir.clone();
        Ok(())
    }
    fn path_of(&self, name: &str) -> PathBuf {
        PathBuf::from("crashfs").join(name)
    }
}

impl Storage for CrashStorage {
    fn len(&self) -> io::Result<u64> {
        self.state.lock().check_alive()?;
        Ok(self.inode.lock().live.len() as u64)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.state.lock().check_alive()?;
        vec_read_at(&self.inode.lock().live, offset, buf)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut s = self.state.lock();
        s.check_alive()?;
        s.writes += 1;
        if s.enospc_writes > 0 {
            s.enospc_writes -= 1;
            vec_write_at(&mut self.inode.lock().live, offset, &data[..data.len() / 2])?;
            return Err(io::Error::from_raw_os_error(28));
        }
        vec_write_at(&mut self.inode.lock().live, offset, data)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.state.lock().check_alive()?;
        let len = usize::try_from(len).map_err(|_| io::Error::other("length"))?;
        self.inode.lock().live.resize(len, 0);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        self.state.lock().begin_sync()?;
        let mut guard = self.inode.lock();
        let inode = &mut *guard;
        inode.durable.clone_from(&inode.live);
        Ok(())
    }
}

/// A tiny deterministic generator, so tests need no dependency.
pub struct XorShift(u64);

impl XorShift {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
