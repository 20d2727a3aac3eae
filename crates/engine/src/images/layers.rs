//! Layers: chain ids, verified decompression, unpacking each layer once.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};
use storage::{unpack_layer, StorageError, UnpackOptions};

use crate::db::{Db, LayerRecord};
use crate::error::{EngineError, Result};
use crate::root::Root;

/// OCI chain ids: `chain(0) = diff(0)`, `chain(n) = sha256(chain(n-1) + " " + diff(n))`.
pub(crate) fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(p) => image::digest::sha256_of(format!("{p} {d}").as_bytes()).to_string(),
        };
        out.push(next);
    }
    out
}

/// A reader that hashes what passes through it.
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub(crate) fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
    pub(crate) fn digest(self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The plain tar inside a possibly gzip- or zstd-compressed stream, found by magic bytes.
pub(crate) fn decompressed<'a, R: Read + 'a>(r: R) -> std::io::Result<Box<dyn Read + 'a>> {
    let mut br = BufReader::with_capacity(256 * 1024, r);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(br)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Ok(Box::new(zstd::stream::read::Decoder::with_buffer(br)?))
    } else {
        Ok(Box::new(br))
    }
}

/// Make sure the layer `chain_id` is unpacked, from the blob `blob` whose plain tar must
/// hash to `diff_id`. Returns its row (not yet in the DB when new) — unpacked once: a layer
/// the DB knows, or a finished directory a crashed run left, is reused.
pub(crate) fn ensure_layer(
    root: &Root,
    db: &Db,
    store: &image::BlobStore,
    blob: &image::oci_spec::image::Digest,
    diff_id: &str,
    chain_id: &str,
) -> Result<(LayerRecord, bool)> {
    if let Some(l) = db.layer(chain_id)? {
        if root.dir().join(&l.dir).is_dir() {
            return Ok((l, false));
        }
    }
    let hex = chain_id.strip_prefix("sha256:").unwrap_or(chain_id);
    let rel = format!("layers/{hex}");
    let dest = root.dir().join(&rel);
    let record = |size| LayerRecord {
        chain_id: chain_id.to_string(),
        diff_id: diff_id.to_string(),
        dir: rel.clone(),
        size,
    };
    if dest.is_dir() {
        // Finished by an earlier run that died before its DB transaction (unpack renames
        // into place only when complete).
        return Ok((record(dir_size(&dest)), true));
    }
    let file = store.open_blob(blob)?;
    let plain = decompressed(file).map_err(|e| {
        EngineError::io(
            "read layer blob",
            store.blob_path(blob).unwrap_or_default(),
            e,
        )
    })?;
    let mut hashing = Hashing::new(plain);
    let opts = UnpackOptions {
        layer: blob.to_string(),
        ..UnpackOptions::default()
    };
    let stats = match unpack_layer(&mut hashing, &dest, &opts) {
        Ok(s) => s,
        Err(StorageError::LayerExists { .. }) => return Ok((record(dir_size(&dest)), true)),
        Err(source) => {
            return Err(EngineError::Storage {
                layer: blob.to_string(),
                source,
            })
        }
    };
    let got = hashing.digest();
    if got != diff_id {
        let _ = std::fs::remove_dir_all(&dest);
        return Err(EngineError::Image(image::Error::DigestMismatch {
            expected: diff_id.to_string(),
            actual: format!("{got} (uncompressed content of layer {blob})"),
        }));
    }
    Ok((record(stats.bytes), true))
}

/// Bytes of regular files under `dir` (for layers found on disk without a row).
fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_oci_formula() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let c = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(c[0], a);
        assert_eq!(
            c[1],
            image::digest::sha256_of(format!("{a} {b}").as_bytes()).to_string()
        );
    }

    #[test]
    fn gzip_is_seen_through() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        let bytes = gz.finish().unwrap();
        let mut out = String::new();
        decompressed(&bytes[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello");
        let mut out = String::new();
        decompressed(&b"plain"[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "plain");
    }
}
