//! Run artifacts: files a function produces (screenshots, page HTML, downloads, vouchers,
//! invoice PDFs), stored once by content under the data directory and referenced from run data
//! by an [`Artifact`] object, never inlined in the journal.
//!
//! Layout: `DIR/sha256/ab/abcdef…` (the first two hex digits fan the files out). A file is
//! written to a temporary name in the same directory, flushed and renamed, so a crash leaves
//! either the whole file or none; storing the same bytes twice keeps one file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What run data holds for a stored file (`{"artifact": "sha256:…", "media_type", "size", "name"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// `sha256:` and the 64 hex digits of the content's SHA-256.
    pub artifact: String,
    /// The content's media type (`application/pdf`, `image/png`, `text/html`, …).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// A file name for people (`voucher-RMA123.pdf`); not part of the identity.
    pub name: String,
}

/// Content-addressed files in one directory.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    dir: PathBuf,
}

/// Why an artifact could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The reference is not `sha256:` followed by 64 lower-case hex digits.
    #[error("`{0}` is not an artifact reference (expected `sha256:` and 64 hex digits)")]
    BadReference(String),
    /// The file system refused.
    #[error("artifact store {dir}: {source}")]
    Io {
        /// The store's directory.
        dir: String,
        /// The error.
        source: std::io::Error,
    },
}

impl ArtifactStore {
    /// A store in `dir`; directories are made on the first write, so a store nothing is
    /// written to leaves no trace.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// A store in `dir`, made now, so a directory that cannot be written is found at start
    /// rather than at the first artifact.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ArtifactError> {
        let store = Self::new(dir);
        std::fs::create_dir_all(store.dir.join("sha256")).map_err(|e| store.io(e))?;
        Ok(store)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `bytes` (once, whatever how often) and returns the reference for run data.
    pub fn put(
        &self,
        bytes: &[u8],
        media_type: &str,
        name: &str,
    ) -> Result<Artifact, ArtifactError> {
        let hex = hex(&Sha256::digest(bytes));
        let path = self.path_of(&hex);
        if !path.exists() {
            self.write_new(&path, bytes).map_err(|e| self.io(e))?;
        }
        Ok(Artifact {
            artifact: format!("sha256:{hex}"),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            name: name.to_owned(),
        })
    }

    /// The content of a stored artifact; `None` when the store does not have it.
    pub fn get(&self, reference: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        let path = self.path(reference)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Where the file of `reference` is (or would be).
    pub fn path(&self, reference: &str) -> Result<PathBuf, ArtifactError> {
        let hex = reference
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .ok_or_else(|| ArtifactError::BadReference(reference.to_owned()))?;
        Ok(self.path_of(hex))
    }

    fn path_of(&self, hex: &str) -> PathBuf {
        self.dir.join("sha256").join(&hex[..2]).join(hex)
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> ArtifactError {
        ArtifactError::Io {
            dir: self.dir.display().to_string(),
            source,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_one_file_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let a = store
            .put(b"%PDF-1.7 hello", "application/pdf", "a.pdf")
            .unwrap();
        let b = store
            .put(b"%PDF-1.7 hello", "application/pdf", "b.pdf")
            .unwrap();
        assert_eq!(a.artifact, b.artifact);
        assert_eq!(a.size, 14);
        assert_eq!(store.get(&a.artifact).unwrap().unwrap(), b"%PDF-1.7 hello");
        let files = walk(dir.path());
        assert_eq!(files, 1, "one file for one content");
    }

    #[test]
    fn references_outside_the_store_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        for bad in ["../etc/passwd", "sha256:../../x", "sha256:ABCDEF", "md5:00"] {
            assert!(
                matches!(store.get(bad), Err(ArtifactError::BadReference(_))),
                "{bad}"
            );
        }
        let missing = format!("sha256:{}", "0".repeat(64));
        assert!(store.get(&missing).unwrap().is_none());
    }

    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    }
}
