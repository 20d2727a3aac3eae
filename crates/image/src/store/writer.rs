//! One blob being written: temp file + running hash, checked on commit.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

use super::{BlobStore, Expected};
use crate::digest::{self as dg, sha256_hex};
use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A blob on its way into the store. Write to it (it implements [`Write`]), then
/// [`commit`](Self::commit). Dropped without commit, its temp file is removed.
#[derive(Debug)]
pub struct IngestWriter {
    file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
    blobs_dir: PathBuf,
    hasher: Sha256,
    written: u64,
    expected: Expected,
}

impl IngestWriter {
    pub(super) fn new(store: &BlobStore, expected: Expected) -> Result<Self> {
        let hex = sha256_hex(&expected.digest)?.to_string();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = store
            .ingest_dir()
            .join(format!("{hex}.{}.{nanos}.{n}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        let dest = store.blob_path(&expected.digest)?;
        Ok(IngestWriter {
            file: Some(file),
            tmp,
            dest,
            blobs_dir: store.blobs_dir(),
            hasher: Sha256::new(),
            written: 0,
            expected,
        })
    }

    /// Bytes accepted so far: where a resumed download continues (`Range: bytes=N-`).
    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn expected(&self) -> &Expected {
        &self.expected
    }

    /// Start over (the source could not resume): truncate and reset the hash.
    pub fn reset(&mut self) -> Result<()> {
        let f = self.file_mut()?;
        f.set_len(0)
            .and_then(|()| f.rewind().map(|_| ()))
            .map_err(|e| Error::io("truncate", self.tmp.clone(), e))?;
        self.hasher = Sha256::new();
        self.written = 0;
        Ok(())
    }

    /// Copy everything from `r`, mapping write failures to errors naming the blob.
    pub fn copy_from(&mut self, r: &mut impl Read) -> Result<u64> {
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        loop {
            let k = match r.read(&mut buf) {
                Ok(0) => return Ok(n),
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read source of", self.dest.clone(), e)),
            };
            self.write_chunk(&buf[..k])?;
            n += k as u64;
        }
    }

    /// Write one chunk; refuses content beyond the expected size at once.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        let after = self.written + chunk.len() as u64;
        if let Some(size) = self.expected.size {
            if after > size {
                return Err(Error::SizeMismatch {
                    digest: self.expected.digest.to_string(),
                    expected: size,
                    actual: after,
                });
            }
        }
        let tmp = self.tmp.clone();
        self.file_mut()?
            .write_all(chunk)
            .map_err(|e| Error::io("write", tmp, e))?;
        self.hasher.update(chunk);
        self.written = after;
        Ok(())
    }

    /// Check size and digest, fsync, rename into place and fsync the directory.
    /// On any mismatch the temp file is removed and nothing enters the store.
    pub fn commit(mut self) -> Result<Digest> {
        let digest = self.expected.digest.clone();
        if let Some(size) = self.expected.size {
            if self.written != size {
                return Err(Error::SizeMismatch {
                    digest: digest.to_string(),
                    expected: size,
                    actual: self.written,
                });
            }
        }
        let actual = dg::from_hasher(std::mem::take(&mut self.hasher));
        if actual != digest {
            return Err(Error::DigestMismatch {
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let file = self.file.take();
        if let Some(f) = file {
            f.sync_all()
                .map_err(|e| Error::io("fsync", self.tmp.clone(), e))?;
        }
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| Error::io("rename into store", self.dest.clone(), e))?;
        if let Ok(d) = File::open(&self.blobs_dir) {
            d.sync_all()
                .map_err(|e| Error::io("fsync", self.blobs_dir.clone(), e))?;
        }
        Ok(digest)
    }

    fn file_mut(&mut self) -> Result<&mut File> {
        let tmp = self.tmp.clone();
        self.file
            .as_mut()
            .ok_or_else(|| Error::io("write", tmp, io::Error::other("ingest already committed")))
    }
}

impl Write for IngestWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_chunk(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for IngestWriter {
    fn drop(&mut self) {
        // After a successful rename the temp path no longer exists; NotFound is fine.
        let _ = fs::remove_file(&self.tmp);
    }
}
