//! Content-addressed blob store (DESIGN.md §4): `<root>/blobs/sha256/<hex>`.
//!
//! Blobs enter only through an [`IngestWriter`]: a temp file in `<root>/ingest/`, hashed
//! while written, checked against the expected size and digest, fsynced, then renamed into
//! place (containerd plugins/content/local/writer.go). A blob that does not match is
//! removed and never becomes visible.

mod writer;

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, Digest};
use sha2::{Digest as _, Sha256};

use crate::digest::{self as dg, sha256_hex};
use crate::error::{Error, Result};

pub use writer::IngestWriter;

/// A blob store rooted at a directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// What an ingest must produce: the digest, and the size when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub digest: Digest,
    pub size: Option<u64>,
}

impl From<&Descriptor> for Expected {
    fn from(d: &Descriptor) -> Self {
        Expected {
            digest: d.digest().clone(),
            size: Some(d.size()),
        }
    }
}

impl BlobStore {
    /// Open (creating if needed) a store under `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for dir in [root.join("blobs").join("sha256"), root.join("ingest")] {
            fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
        }
        Ok(BlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn ingest_dir(&self) -> PathBuf {
        self.root.join("ingest")
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Where the blob with this digest lives (whether or not it exists).
    pub fn blob_path(&self, digest: &Digest) -> Result<PathBuf> {
        Ok(self.blobs_dir().join(sha256_hex(digest)?))
    }

    /// Whether the blob is present.
    pub fn exists(&self, digest: &Digest) -> Result<bool> {
        let p = self.blob_path(digest)?;
        match fs::metadata(&p) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("stat", p, e)),
        }
    }

    /// The size of a present blob.
    pub fn size(&self, digest: &Digest) -> Result<u64> {
        let p = self.blob_path(digest)?;
        fs::metadata(&p)
            .map(|m| m.len())
            .map_err(|e| self.not_found_or(digest, "stat", p, e))
    }

    /// Open a blob for reading.
    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let p = self.blob_path(digest)?;
        File::open(&p).map_err(|e| self.not_found_or(digest, "open", p, e))
    }

    /// Read a whole blob (for manifests and configs; stream layers with [`Self::open_blob`]).
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>> {
        let p = self.blob_path(digest)?;
        fs::read(&p).map_err(|e| self.not_found_or(digest, "read", p, e))
    }

    /// Start writing a blob that must match `expected`.
    pub fn ingest(&self, expected: Expected) -> Result<IngestWriter> {
        IngestWriter::new(self, expected)
    }

    /// Copy a reader into the store, checked against `expected`. Already present: no-op.
    pub fn ingest_reader(&self, expected: Expected, mut r: impl Read) -> Result<Digest> {
        if self.exists(&expected.digest)? {
            return Ok(expected.digest);
        }
        let mut w = self.ingest(expected)?;
        w.copy_from(&mut r)?;
        w.commit()
    }

    /// Store bytes whose digest is computed here (manifests and configs berth writes itself).
    pub fn put(&self, bytes: &[u8]) -> Result<Digest> {
        let digest = dg::sha256_of(bytes);
        let expected = Expected {
            digest,
            size: Some(bytes.len() as u64),
        };
        self.ingest_reader(expected, bytes)
    }

    /// Remove a blob. Removing an absent blob is an error naming it.
    pub fn delete(&self, digest: &Digest) -> Result<()> {
        let p = self.blob_path(digest)?;
        fs::remove_file(&p).map_err(|e| self.not_found_or(digest, "remove", p, e))
    }

    /// All blobs present, sorted by digest. Files that are not sha256 names are skipped.
    pub fn list(&self) -> Result<Vec<Digest>> {
        let dir = self.blobs_dir();
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| Error::io("read directory", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", &dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.len() != 64 {
                continue;
            }
            if let Ok(d) = dg::parse(&format!("sha256:{name}")) {
                out.push(d);
            }
        }
        out.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
        Ok(out)
    }

    /// Re-hash a stored blob; [`Error::BlobCorrupt`] when its content no longer matches.
    pub fn verify(&self, digest: &Digest) -> Result<()> {
        let mut f = self.open_blob(digest)?;
        let p = self.blob_path(digest)?;
        let mut h = Sha256::new();
        io::copy(&mut f, &mut h).map_err(|e| Error::io("read", &p, e))?;
        let actual = dg::from_hasher(h);
        if actual != *digest {
            return Err(Error::BlobCorrupt {
                digest: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }

    /// Remove leftovers of interrupted ingests (call when no ingest runs, e.g. `system check`).
    pub fn clean_ingest(&self) -> Result<usize> {
        let dir = self.ingest_dir();
        let mut n = 0;
        for entry in fs::read_dir(&dir).map_err(|e| Error::io("read directory", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", &dir, e))?;
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
            n += 1;
        }
        Ok(n)
    }

    fn not_found_or(&self, digest: &Digest, op: &'static str, p: PathBuf, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::NotFound {
            Error::BlobNotFound {
                digest: digest.to_string(),
            }
        } else {
            Error::io(op, p, e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let t = tempfile::tempdir().unwrap();
        let s = BlobStore::open(t.path()).unwrap();
        (t, s)
    }

    fn ingest_empty(s: &BlobStore) -> bool {
        fs::read_dir(s.ingest_dir()).unwrap().next().is_none()
    }

    #[test]
    fn put_read_list_delete() {
        let (_t, s) = store();
        let d = s.put(b"hello").unwrap();
        assert_eq!(
            d.digest(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(s.exists(&d).unwrap());
        assert_eq!(s.read(&d).unwrap(), b"hello");
        assert_eq!(s.size(&d).unwrap(), 5);
        assert_eq!(s.list().unwrap(), vec![d.clone()]);
        s.verify(&d).unwrap();
        // Idempotent.
        assert_eq!(s.put(b"hello").unwrap(), d);
        s.delete(&d).unwrap();
        assert!(!s.exists(&d).unwrap());
        assert!(matches!(s.read(&d), Err(Error::BlobNotFound { .. })));
        assert!(matches!(s.delete(&d), Err(Error::BlobNotFound { .. })));
        assert!(ingest_empty(&s));
    }

    #[test]
    fn wrong_digest_is_refused_and_leaves_nothing() {
        let (_t, s) = store();
        let expected = Expected {
            digest: dg::sha256_of(b"good"),
            size: Some(4),
        };
        let err = s.ingest_reader(expected.clone(), &b"evil"[..]).unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains(expected.digest.as_ref()));
        assert!(s.list().unwrap().is_empty());
        assert!(ingest_empty(&s));
    }

    #[test]
    fn wrong_size_is_refused_and_leaves_nothing() {
        let (_t, s) = store();
        let d = dg::sha256_of(b"good");
        let short = s.ingest_reader(
            Expected {
                digest: d.clone(),
                size: Some(4),
            },
            &b"goo"[..],
        );
        assert!(matches!(
            short,
            Err(Error::SizeMismatch {
                expected: 4,
                actual: 3,
                ..
            })
        ));
        // Oversized content is refused as soon as it passes the expected size.
        let mut w = s
            .ingest(Expected {
                digest: d.clone(),
                size: Some(4),
            })
            .unwrap();
        assert!(w.write_all(b"good and more").is_err());
        drop(w);
        assert!(s.list().unwrap().is_empty());
        assert!(ingest_empty(&s));
    }

    #[test]
    fn abandoned_writer_leaves_nothing_and_reset_restarts() {
        let (_t, s) = store();
        let d = dg::sha256_of(b"abcdef");
        {
            let mut w = s
                .ingest(Expected {
                    digest: d.clone(),
                    size: None,
                })
                .unwrap();
            w.write_all(b"abc").unwrap();
            assert_eq!(w.written(), 3);
        }
        assert!(ingest_empty(&s));
        let mut w = s
            .ingest(Expected {
                digest: d.clone(),
                size: Some(6),
            })
            .unwrap();
        w.write_all(b"xyz").unwrap();
        w.reset().unwrap();
        w.write_all(b"abcdef").unwrap();
        assert_eq!(w.commit().unwrap(), d);
        s.verify(&d).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_ingest_are_harmless_and_cleaned() {
        let (_t, s) = store();
        // What a process killed mid-download leaves: a partial temp file in ingest/.
        let d = dg::sha256_of(b"complete");
        fs::write(
            s.ingest_dir().join(format!("{}.1.2.3", d.digest())),
            b"compl",
        )
        .unwrap();
        assert!(!s.exists(&d).unwrap());
        assert!(s.list().unwrap().is_empty());
        assert_eq!(s.put(b"complete").unwrap(), d);
        assert_eq!(s.clean_ingest().unwrap(), 1);
        assert!(ingest_empty(&s));
        s.verify(&d).unwrap();
    }

    #[test]
    fn verify_finds_corruption() {
        let (_t, s) = store();
        let d = s.put(b"content").unwrap();
        fs::write(s.blob_path(&d).unwrap(), b"tampered").unwrap();
        assert!(matches!(s.verify(&d), Err(Error::BlobCorrupt { .. })));
    }

    #[test]
    fn non_sha256_refused() {
        let (_t, s) = store();
        let d = dg::parse(&format!("sha512:{}", "a".repeat(128))).unwrap();
        assert!(matches!(s.exists(&d), Err(Error::UnsupportedDigest { .. })));
    }
}
