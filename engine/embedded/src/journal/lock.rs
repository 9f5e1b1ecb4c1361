//! The sidecar `<db>.lock` file: one journal per database file, and who holds it.
//!
//! SQLite's own locking lets two processes share a WAL database; shopflow must not, because
//! each journal keeps live runs in memory and would execute them twice. The lock is an
//! advisory exclusive `flock` on a separate file (the database file's own locks belong to
//! SQLite), released by the OS when the holder exits, however it exits, so a crash leaves
//! no stale lock behind.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};

use super::Error;

/// An exclusive lock on `<db>.lock`, held while this value lives.
#[derive(Debug)]
pub(crate) struct HolderLock {
    /// Kept open: closing it releases the lock.
    _file: File,
}

impl HolderLock {
    /// Takes the lock for the database at `db`, or names the process that has it.
    pub(crate) fn acquire(db: &Path) -> Result<HolderLock, Error> {
        let path = lock_path(db);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::lock_file(&path, &e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(in_use(db, &mut file)),
            Err(TryLockError::Error(e)) => return Err(Error::lock_file(&path, &e)),
        }
        let started = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let holder = format!("pid {}\nstarted {started}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Error::lock_file(&path, &e))?;
        Ok(HolderLock { _file: file })
    }
}

/// The lock file of the database at `db`: `<db>.lock`, next to it.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// The refusal, with the holder's pid and start time as it wrote them.
fn in_use(db: &Path, file: &mut File) -> Error {
    let mut text = String::new();
    // The holder writes its line right after locking; an unreadable or empty file just
    // means we looked in between.
    let _ = file.read_to_string(&mut text);
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or("unknown")
            .to_owned()
    };
    Error::InUse {
        path: db.display().to_string(),
        pid: field("pid"),
        started: field("started"),
    }
}
