//! Reading an archive in one pass: every blob-like entry spooled into the store (verified
//! against its name when the name is a digest, hashed as written otherwise), metadata files
//! kept in memory, links recorded. What this load added is deleted again unless committed.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Seek, Write};

use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

use super::error::{ArchiveError, Result};
use super::path;
use crate::digest as dg;
use crate::store::{BlobStore, Expected};

/// Metadata files are read into memory; anything bigger than this is refused.
pub(super) const META_LIMIT: u64 = 16 * 1024 * 1024;
const META_FILES: [&str; 4] = ["manifest.json", "repositories", "index.json", "oci-layout"];

/// A regular entry now in the store.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub digest: Digest,
    pub size: u64,
}

/// What one pass over the archive found.
#[derive(Debug, Default)]
pub(super) struct Spooled {
    pub files: HashMap<String, Stored>,
    pub links: HashMap<String, String>,
    pub meta: HashMap<String, Vec<u8>>,
}

impl Spooled {
    /// The stored blob an archive path names (following links).
    pub fn file(&self, entry: &str, referenced_by: &str) -> Result<&Stored> {
        let norm = path::normalize(entry)?;
        let target = path::resolve(&self.links, &norm)?;
        self.files
            .get(target)
            .ok_or_else(|| ArchiveError::MissingEntry {
                entry: entry.to_string(),
                referenced_by: referenced_by.to_string(),
            })
    }
}

/// Blobs this load added to the store; removed on drop unless [`Txn::commit`]ed.
pub(super) struct Txn<'a> {
    store: &'a BlobStore,
    added: Vec<Digest>,
    committed: bool,
}

impl<'a> Txn<'a> {
    pub fn new(store: &'a BlobStore) -> Self {
        Txn {
            store,
            added: Vec::new(),
            committed: false,
        }
    }

    pub fn store(&self) -> &'a BlobStore {
        self.store
    }

    /// Store bytes (a manifest berth wrote), remembering them if new.
    pub fn put(&mut self, bytes: &[u8]) -> Result<Digest> {
        let d = dg::sha256_of(bytes);
        let existed = self.store.exists(&d)?;
        self.store.put(bytes)?;
        if !existed {
            self.added.push(d.clone());
        }
        Ok(d)
    }

    /// Keep what the images reference; blobs this load added that nothing references
    /// (stray archive entries) are removed again.
    pub fn commit(mut self, keep: &HashSet<Digest>) {
        self.added.retain(|d| !keep.contains(d));
        for d in self.added.drain(..) {
            if let Err(e) = self.store.delete(&d) {
                tracing::warn!("could not remove unreferenced blob {d}: {e}");
            }
        }
        self.committed = true;
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for d in self.added.drain(..) {
            if let Err(e) = self.store.delete(&d) {
                tracing::warn!("load failed; could not remove blob {d} it added: {e}");
            }
        }
    }
}

/// Wrap `input` in a decompressor when it starts with gzip or zstd magic.
pub(super) fn decompressed<'r>(input: impl Read + 'r) -> Result<Box<dyn Read + 'r>> {
    let mut br = BufReader::with_capacity(256 * 1024, input);
    let head = br.fill_buf().map_err(|e| ArchiveError::Read {
        entry: "(archive start)".into(),
        source: e,
    })?;
    Ok(match super::layer::Compression::sniff(head) {
        super::layer::Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(br)),
        super::layer::Compression::Zstd => Box::new(zstd::Decoder::with_buffer(br).map_err(
            |e| ArchiveError::Read {
                entry: "(archive start)".into(),
                source: e,
            },
        )?),
        super::layer::Compression::None => Box::new(br),
    })
}

/// Read the whole (already decompressed) tar stream once.
pub(super) fn spool(input: impl Read, txn: &mut Txn<'_>) -> Result<Spooled> {
    let mut out = Spooled::default();
    let mut ar = tar::Archive::new(input);
    let entries = ar.entries().map_err(|e| ArchiveError::Read {
        entry: "(archive start)".into(),
        source: e,
    })?;
    let mut last = String::from("(archive start)");
    for entry in entries {
        let mut entry = entry.map_err(|e| ArchiveError::Read {
            entry: format!("after {last}"),
            source: e,
        })?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = path::normalize(&raw)?;
        last.clone_from(&raw);
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Directory => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let resolved = if kind == tar::EntryType::Symlink {
                    path::symlink_target(&name, &target)?
                } else {
                    path::normalize(&target).map_err(|_| ArchiveError::UnsafeLink {
                        entry: raw.clone(),
                        target: target.clone(),
                    })?
                };
                out.links.insert(name, resolved);
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().map_err(|e| ArchiveError::Read {
                    entry: raw.clone(),
                    source: e,
                })?;
                if META_FILES.contains(&name.as_str()) {
                    if size > META_LIMIT {
                        return Err(ArchiveError::TooLarge {
                            entry: raw,
                            limit: META_LIMIT,
                        });
                    }
                    let mut buf = Vec::with_capacity(size as usize);
                    entry
                        .read_to_end(&mut buf)
                        .map_err(|e| ArchiveError::Read {
                            entry: raw.clone(),
                            source: e,
                        })?;
                    check_complete(&raw, buf.len() as u64, size)?;
                    out.meta.insert(name, buf);
                } else if name.ends_with("/json") || name.ends_with("/VERSION") {
                    // Legacy per-layer metadata: manifest.json and the config say it all.
                } else {
                    let stored = match named_digest(&name, &raw)? {
                        Some(d) => ingest_named(txn, &mut entry, &raw, d, size)?,
                        None => ingest_computed(txn, &mut entry, &raw, size)?,
                    };
                    out.files.insert(name, stored);
                }
            }
            // Devices, fifos, PAX/GNU extension headers (the tar crate applies those): skipped.
            _ => {}
        }
    }
    Ok(out)
}

/// The digest an entry's name promises: `blobs/sha256/<hex>` or `<hex>.json`.
fn named_digest(name: &str, raw: &str) -> Result<Option<Digest>> {
    let invalid = |reason: String| ArchiveError::Invalid {
        entry: raw.to_string(),
        reason,
    };
    if let Some(rest) = name.strip_prefix("blobs/") {
        let (alg, hex) = rest
            .split_once('/')
            .ok_or_else(|| invalid("blob outside blobs/<algorithm>/".into()))?;
        if alg != "sha256" {
            return Err(invalid(format!(
                "digest algorithm {alg} is not supported (sha256 only)"
            )));
        }
        return dg::parse(&format!("sha256:{hex}"))
            .map(Some)
            .map_err(|e| invalid(e.to_string()));
    }
    if let Some(hex) = name.strip_suffix(".json") {
        if !hex.contains('/')
            && hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return dg::parse(&format!("sha256:{hex}"))
                .map(Some)
                .map_err(|e| invalid(e.to_string()));
        }
    }
    Ok(None)
}

/// The tar crate ends an entry cut short by EOF quietly; that is a truncated archive.
fn check_complete(raw: &str, got: u64, size: u64) -> Result<()> {
    if got < size {
        return Err(ArchiveError::Read {
            entry: raw.to_string(),
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("archive ends after {got} of {size} bytes"),
            ),
        });
    }
    Ok(())
}

fn read_err(raw: &str) -> impl Fn(io::Error) -> ArchiveError + '_ {
    move |e| ArchiveError::Read {
        entry: raw.to_string(),
        source: e,
    }
}

fn blob_err(raw: &str) -> impl Fn(crate::Error) -> ArchiveError + '_ {
    move |e| ArchiveError::Blob {
        entry: raw.to_string(),
        source: e,
    }
}

/// Copy an entry into the store, checked against the digest its name promises.
fn ingest_named(
    txn: &mut Txn<'_>,
    r: &mut impl Read,
    raw: &str,
    digest: Digest,
    size: u64,
) -> Result<Stored> {
    let store = txn.store;
    if store.exists(&digest).map_err(blob_err(raw))? {
        // Not read: the store's copy is the verified one, and its size is the truth.
        let size = store.size(&digest).map_err(blob_err(raw))?;
        return Ok(Stored { digest, size });
    }
    {
        let mut w = store
            .ingest(Expected {
                digest: digest.clone(),
                size: Some(size),
            })
            .map_err(blob_err(raw))?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        loop {
            let k = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_err(raw)(e)),
            };
            w.write_chunk(&buf[..k]).map_err(blob_err(raw))?;
            n += k as u64;
        }
        check_complete(raw, n, size)?;
        w.commit().map_err(blob_err(raw))?;
        txn.added.push(digest.clone());
    }
    Ok(Stored { digest, size })
}

/// Copy an entry whose digest is not known in advance: spooled to an unnamed temp file in
/// the store's ingest dir while hashed, then ingested under the digest computed.
fn ingest_computed(
    txn: &mut Txn<'_>,
    r: &mut impl Read,
    raw: &str,
    expected_size: u64,
) -> Result<Stored> {
    let store = txn.store;
    let dir = store.ingest_dir();
    let mut tmp = tempfile::tempfile_in(&dir).map_err(|e| {
        blob_err(raw)(crate::Error::Io {
            op: "create temp file in",
            path: dir.clone(),
            source: e,
        })
    })?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let k = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(raw)(e)),
        };
        hasher.update(&buf[..k]);
        tmp.write_all(&buf[..k]).map_err(|e| {
            blob_err(raw)(crate::Error::Io {
                op: "write temp file in",
                path: dir.clone(),
                source: e,
            })
        })?;
        size += k as u64;
    }
    check_complete(raw, size, expected_size)?;
    let digest = dg::from_hasher(hasher);
    if !store.exists(&digest).map_err(blob_err(raw))? {
        tmp.rewind().map_err(|e| {
            blob_err(raw)(crate::Error::Io {
                op: "rewind temp file in",
                path: dir.clone(),
                source: e,
            })
        })?;
        let expected = Expected {
            digest: digest.clone(),
            size: Some(size),
        };
        store
            .ingest_reader(expected, &mut tmp)
            .map_err(blob_err(raw))?;
        txn.added.push(digest.clone());
    }
    Ok(Stored { digest, size })
}
