//! Storage behind traits, so tests can run the real log on memory and simulate crashes.
//!
//! `Storage` is one file; `Fs` is the directory that holds the log's files. `DirFs` and
//! `FileStorage` are the real ones; `MemFs` and `MemStorage` keep everything in memory.
//! `testing::CrashFs` adds live-vs-durable bytes and fault injection.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::WalError;

/// One file. Offsets and lengths are bytes.
pub trait Storage: Send + Sync {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// True when the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Fills `buf` from `offset`; fails if the file is shorter.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Writes all of `data` at `offset`, extending the file if needed.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Truncates or extends the file.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every byte written so far durable (fdatasync).
    fn sync(&self) -> io::Result<()>;
}

/// The directory holding the log. Names are plain file names, never paths.
pub trait Fs: Send + Sync {
    /// Opens an existing file.
    fn open(&self, name: &str) -> io::Result<Box<dyn Storage>>;
    /// Creates a file, truncating it if it exists.
    fn create(&self, name: &str) -> io::Result<Box<dyn Storage>>;
    /// Names of all files in the directory, in any order.
    fn list(&self) -> io::Result<Vec<String>>;
    /// Removes a file.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Renames a file atomically, replacing `to`.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Makes creations, renames and removals durable (fsync of the directory).
    fn sync_dir(&self) -> io::Result<()>;
    /// A path for error messages.
    fn path_of(&self, name: &str) -> PathBuf;
}

/// A real file.
pub struct FileStorage {
    file: File,
}

impl FileStorage {
    #[must_use]
    pub fn new(file: File) -> Self {
        FileStorage { file }
    }
}

impl Storage for FileStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Name of the lock file inside the log directory.
pub const LOCK_FILE: &str = "LOCK";

/// A real directory, holding an flock on `dir/LOCK` for as long as it lives.
pub struct DirFs {
    dir: PathBuf,
    read_only: bool,
    _lock: File,
}

impl DirFs {
    /// Creates `dir` if needed and takes the exclusive lock (`WalError::Locked` if held).
    pub fn open_exclusive(dir: &Path) -> Result<DirFs, WalError> {
        if !dir.exists() {
            fs::create_dir_all(dir)?;
            // A new directory's own entry is durable only once its parent is synced.
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                File::open(parent)?.sync_all()?;
            }
        }
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))?;
        Self::take_lock(dir, &lock, false)?;
        Ok(DirFs {
            dir: dir.to_path_buf(),
            read_only: false,
            _lock: lock,
        })
    }

    /// Takes a shared lock for read-only inspection; fails with `Locked` while a writer runs.
    pub fn open_shared(dir: &Path) -> Result<DirFs, WalError> {
        let lock = match File::open(dir.join(LOCK_FILE)) {
            Ok(f) => f,
            // A directory that never held a log has no LOCK file; the directory itself
            // serves as the lock target then.
            Err(e) if e.kind() == io::ErrorKind::NotFound => File::open(dir)?,
            Err(e) => return Err(e.into()),
        };
        Self::take_lock(dir, &lock, true)?;
        Ok(DirFs {
            dir: dir.to_path_buf(),
            read_only: true,
            _lock: lock,
        })
    }

    fn take_lock(dir: &Path, lock: &File, shared: bool) -> Result<(), WalError> {
        let r = if shared {
            lock.try_lock_shared()
        } else {
            lock.try_lock()
        };
        match r {
            Ok(()) => Ok(()),
            Err(TryLockError::WouldBlock) => Err(WalError::Locked {
                dir: dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }
}

impl Fs for DirFs {
    fn open(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        let file = OpenOptions::new()
            .read(true)
            .write(!self.read_only)
            .open(self.dir.join(name))?;
        Ok(Box::new(FileStorage::new(file)))
    }
    fn create(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        assert!(!self.read_only, "create on a read-only log directory");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.dir.join(name))?;
        Ok(Box::new(FileStorage::new(file)))
    }
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.dir.join(name))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.dir.join(from), self.dir.join(to))
    }
    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// An in-memory file: every write is immediately "durable".
#[derive(Clone, Default)]
pub struct MemStorage {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl MemStorage {
    /// A copy of the current contents.
    #[must_use]
    pub fn contents(&self) -> Vec<u8> {
        self.bytes.lock().clone()
    }
}

fn offset_usize(offset: u64) -> io::Result<usize> {
    usize::try_from(offset).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset"))
}

/// Shared by the in-memory storages: write `data` at `offset` into `bytes`, zero-filling a gap.
pub(crate) fn vec_write_at(bytes: &mut Vec<u8>, offset: u64, data: &[u8]) -> io::Result<()> {
    let start = offset_usize(offset)?;
    let end = start + data.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(data);
    Ok(())
}

/// Shared by the in-memory storages: read exactly `buf.len()` bytes at `offset`.
pub(crate) fn vec_read_at(bytes: &[u8], offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let start = offset_usize(offset)?;
    let end = start + buf.len();
    if end > bytes.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "read past end of file",
        ));
    }
    buf.copy_from_slice(&bytes[start..end]);
    Ok(())
}

impl Storage for MemStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.bytes.lock().len() as u64)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        vec_read_at(&self.bytes.lock(), offset, buf)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        vec_write_at(&mut self.bytes.lock(), offset, data)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.bytes.lock().resize(offset_usize(len)?, 0);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

/// An in-memory directory of `MemStorage` files. Cloning shares the directory.
#[derive(Clone, Default)]
pub struct MemFs {
    files: Arc<Mutex<BTreeMap<String, MemStorage>>>,
}

impl MemFs {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Direct access to a file, for tests that damage it.
    #[must_use]
    pub fn file(&self, name: &str) -> Option<MemStorage> {
        self.files.lock().get(name).cloned()
    }
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

impl Fs for MemFs {
    fn open(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        let file = self
            .files
            .lock()
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        Ok(Box::new(file))
    }
    fn create(&self, name: &str) -> io::Result<Box<dyn Storage>> {
        let file = MemStorage::default();
        self.files.lock().insert(name.to_string(), file.clone());
        Ok(Box::new(file))
    }
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.files.lock().keys().cloned().collect())
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.files
            .lock()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut files = self.files.lock();
        let file = files.remove(from).ok_or_else(|| not_found(from))?;
        files.insert(to.to_string(), file);
        Ok(())
    }
    fn sync_dir(&self) -> io::Result<()> {
        Ok(())
    }
    fn path_of(&self, name: &str) -> PathBuf {
        PathBuf::from("mem").join(name)
    }
}
