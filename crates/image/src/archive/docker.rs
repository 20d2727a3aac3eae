//! docker-archive: `manifest.json` + `<config-hex>.json` + uncompressed layers.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Seek, Write};

use oci_spec::image::{Descriptor, Digest, ImageManifest, ImageManifestBuilder, MediaType};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::error::{ArchiveError, Result};
use super::layer::{self, Compression};
use super::read::{Spooled, Txn};
use super::LoadedImage;
use crate::digest::{self as dg, sha256_hex};
use crate::manifest::{self, Manifest, PlatformSpec};
use crate::reference::Reference;
use crate::store::BlobStore;

/// One image of `manifest.json`, as docker and podman write it.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

const MANIFEST_JSON: &str = "manifest.json";

/// Build the images `manifest.json` describes from the spooled entries.
pub(super) fn interpret(
    sp: &Spooled,
    txn: &mut Txn<'_>,
    keep: &mut HashSet<Digest>,
) -> Result<Vec<LoadedImage>> {
    let store = txn.store();
    let bytes = sp
        .meta
        .get(MANIFEST_JSON)
        .ok_or_else(|| ArchiveError::MissingEntry {
            entry: MANIFEST_JSON.into(),
            referenced_by: "the docker-archive format".into(),
        })?;
    let entries: Vec<Entry> = serde_json::from_slice(bytes).map_err(|e| ArchiveError::Invalid {
        entry: MANIFEST_JSON.into(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for e in &entries {
        let cfg = sp.file(&e.config, MANIFEST_JSON)?;
        let cfg_bytes = store.read(&cfg.digest)?;
        let config = manifest::parse_config(&cfg_bytes, &cfg.digest).map_err(|err| {
            ArchiveError::Invalid {
                entry: e.config.clone(),
                reason: err.to_string(),
            }
        })?;
        let diff_ids = config.rootfs().diff_ids();
        if diff_ids.len() != e.layers.len() {
            return Err(ArchiveError::Invalid {
                entry: MANIFEST_JSON.into(),
                reason: format!(
                    "image {} lists {} layers, its config {} has {} diff IDs",
                    e.config,
                    e.layers.len(),
                    e.config,
                    diff_ids.len()
                ),
            });
        }
        let mut layers = Vec::new();
        let mut any_zstd = false;
        for (path, diff_id) in e.layers.iter().zip(diff_ids) {
            let stored = sp.file(path, MANIFEST_JSON)?;
            let read_err = |source: io::Error| ArchiveError::Read {
                entry: path.clone(),
                source,
            };
            let f = store.open_blob(&stored.digest)?;
            let (comp, rd) = layer::uncompressed(f).map_err(read_err)?;
            let actual = match comp {
                Compression::None => stored.digest.clone(),
                _ => layer::hash_all(rd).map_err(read_err)?.0,
            };
            if actual.to_string() != *diff_id {
                return Err(ArchiveError::DiffIdMismatch {
                    entry: path.clone(),
                    expected: diff_id.clone(),
                    actual: actual.to_string(),
                });
            }
            any_zstd |= comp == Compression::Zstd;
            layers.push((comp, stored.clone()));
        }
        let (mt, cfg_mt) = if any_zstd {
            (manifest::OCI_MANIFEST, manifest::OCI_CONFIG)
        } else {
            (manifest::DOCKER_MANIFEST, manifest::DOCKER_CONFIG)
        };
        let layer_descs = layers
            .iter()
            .map(|(c, s)| {
                let mt = match (c, any_zstd) {
                    (Compression::None, false) => layer::DOCKER_LAYER_TAR,
                    (Compression::Gzip, false) => manifest::DOCKER_LAYER_GZIP,
                    (Compression::None, true) => layer::OCI_LAYER_TAR,
                    (Compression::Gzip, true) => layer::OCI_LAYER_GZIP,
                    (Compression::Zstd, _) => layer::OCI_LAYER_ZSTD,
                };
                Descriptor::new(mt.into(), s.size, s.digest.clone())
            })
            .collect::<Vec<_>>();
        let m = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::from(mt))
            .config(Descriptor::new(cfg_mt.into(), cfg.size, cfg.digest.clone()))
            .layers(layer_descs)
            .build()
            .map_err(|err| ArchiveError::Build {
                what: format!("manifest for {}", e.config),
                reason: err.to_string(),
            })?;
        let mbytes = serde_json::to_vec(&m).map_err(|err| crate::Error::Serialize {
            what: format!("manifest for {}", e.config),
            source: err,
        })?;
        let mdigest = txn.put(&mbytes)?;
        let mut references = Vec::new();
        for tag in e.repo_tags.iter().flatten() {
            let r = Reference::parse(tag).map_err(|source| ArchiveError::InvalidName {
                entry: MANIFEST_JSON.into(),
                tag: tag.clone(),
                source,
            })?;
            references.push(r);
        }
        keep.insert(mdigest.clone());
        keep.insert(cfg.digest.clone());
        keep.extend(layers.iter().map(|(_, s)| s.digest.clone()));
        out.push(LoadedImage {
            references,
            ref_name: None,
            manifest_digest: mdigest,
            media_type: mt.into(),
            config_digest: Some(cfg.digest.clone()),
        });
    }
    Ok(out)
}

/// The image manifest a saved digest stands for: itself, or an index's linux/amd64 entry.
pub(super) fn image_manifest(store: &BlobStore, digest: &Digest) -> Result<ImageManifest> {
    let image = digest.to_string();
    let wrap = |source: crate::Error| ArchiveError::Image {
        image: image.clone(),
        source,
    };
    let bytes = store.read(digest).map_err(wrap)?;
    match manifest::parse(&bytes, None, &image).map_err(wrap)?.1 {
        Manifest::Image(m) => Ok(*m),
        Manifest::Index(idx) => {
            let d = manifest::select_platform(&idx, &PlatformSpec::default()).map_err(wrap)?;
            let bytes = store.read(d.digest()).map_err(wrap)?;
            match manifest::parse(&bytes, None, &image).map_err(wrap)?.1 {
                Manifest::Image(m) => Ok(*m),
                Manifest::Index(_) => Err(ArchiveError::Unsupported {
                    image,
                    reason: "an index nested in an index".into(),
                }),
            }
        }
    }
}

pub(super) fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

pub(super) fn append<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    data: impl Read,
) -> Result<()> {
    let kind = if path.ends_with('/') {
        tar::EntryType::Directory
    } else {
        tar::EntryType::Regular
    };
    let mut h = header(kind, size);
    b.append_data(&mut h, path, data)
        .map_err(|source| ArchiveError::Write {
            what: path.to_string(),
            source,
        })
}

/// Hashes what passes through.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}
impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// One layer, uncompressed, at `path`; its content must hash to `diff_id`.
fn write_layer<W: Write>(
    store: &BlobStore,
    b: &mut tar::Builder<W>,
    blob: &Digest,
    diff_id: &Digest,
    path: &str,
    image: &str,
) -> Result<()> {
    let wrap = |source: crate::Error| ArchiveError::Image {
        image: image.to_string(),
        source,
    };
    let io_err = |op: &'static str, e: io::Error| {
        wrap(crate::Error::Io {
            op,
            path: store.blob_path(blob).unwrap_or_default(),
            source: e,
        })
    };
    let f = store.open_blob(blob).map_err(wrap)?;
    let (comp, rd) = layer::uncompressed(f).map_err(|e| io_err("read", e))?;
    let actual = if comp == Compression::None {
        let size = store.size(blob).map_err(wrap)?;
        let mut h = Hashing {
            inner: rd,
            hasher: Sha256::new(),
        };
        append(b, path, size, &mut h)?;
        dg::from_hasher(h.hasher)
    } else {
        // The tar header needs the size: decompress to an unnamed temp file first.
        let mut tmp = tempfile::tempfile_in(store.ingest_dir())
            .map_err(|e| io_err("create temp file for", e))?;
        let mut h = Hashing {
            inner: rd,
            hasher: Sha256::new(),
        };
        let size = io::copy(&mut h, &mut tmp).map_err(|e| io_err("decompress", e))?;
        let actual = dg::from_hasher(h.hasher);
        if actual == *diff_id {
            tmp.rewind()
                .map_err(|e| io_err("rewind temp file for", e))?;
            append(b, path, size, tmp)?;
        }
        actual
    };
    if actual != *diff_id {
        return Err(ArchiveError::DiffIdMismatch {
            entry: format!("{path} (blob {blob} of {image})"),
            expected: diff_id.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

pub(super) fn save(
    store: &BlobStore,
    images: &[(Vec<Reference>, Digest)],
    out: impl Write,
) -> Result<()> {
    let mut b = tar::Builder::new(out);
    let mut seen: HashSet<String> = HashSet::new();
    let mut entries = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (refs, digest) in images {
        let image = refs
            .first()
            .map_or_else(|| digest.to_string(), Reference::familiar);
        let wrap = |source: crate::Error| ArchiveError::Image {
            image: image.clone(),
            source,
        };
        let m = image_manifest(store, digest)?;
        let cfg_digest = m.config().digest().clone();
        let cfg_bytes = store.read(&cfg_digest).map_err(wrap)?;
        let config = manifest::parse_config(&cfg_bytes, &cfg_digest).map_err(wrap)?;
        let diff_ids = config.rootfs().diff_ids();
        if diff_ids.len() != m.layers().len() {
            return Err(ArchiveError::Unsupported {
                image,
                reason: format!(
                    "manifest has {} layers, config {} diff IDs",
                    m.layers().len(),
                    diff_ids.len()
                ),
            });
        }
        let mut layer_paths = Vec::new();
        for (desc, diff_id) in m.layers().iter().zip(diff_ids) {
            let diff = dg::parse(diff_id).map_err(wrap)?;
            let hex = sha256_hex(&diff).map_err(wrap)?.to_string();
            let path = format!("{hex}/layer.tar");
            if seen.insert(path.clone()) {
                append(&mut b, &format!("{hex}/"), 0, io::empty())?;
                write_layer(store, &mut b, desc.digest(), &diff, &path, &image)?;
            }
            layer_paths.push((hex, path));
        }
        let cfg_path = format!("{}.json", sha256_hex(&cfg_digest).map_err(wrap)?);
        if seen.insert(cfg_path.clone()) {
            append(
                &mut b,
                &cfg_path,
                cfg_bytes.len() as u64,
                cfg_bytes.as_slice(),
            )?;
        }
        let tagged: Vec<&Reference> = refs.iter().filter(|r| r.tag().is_some()).collect();
        if let Some((top, _)) = layer_paths.last() {
            for r in &tagged {
                if let Some(t) = r.tag() {
                    repositories
                        .entry(r.name())
                        .or_default()
                        .insert(t.to_string(), top.clone());
                }
            }
        }
        entries.push(Entry {
            config: cfg_path,
            // Fully qualified: docker load shortens them again, podman would otherwise put
            // short names under localhost/.
            repo_tags: Some(tagged.iter().map(|r| r.to_string()).collect()),
            layers: layer_paths.into_iter().map(|(_, p)| p).collect(),
        });
    }
    let mj = to_json(MANIFEST_JSON, &entries)?;
    append(&mut b, MANIFEST_JSON, mj.len() as u64, mj.as_slice())?;
    if !repositories.is_empty() {
        let rj = to_json("repositories", &repositories)?;
        append(&mut b, "repositories", rj.len() as u64, rj.as_slice())?;
    }
    finish(b)
}

pub(super) fn finish<W: Write>(b: tar::Builder<W>) -> Result<()> {
    let mut w = b.into_inner().map_err(|source| ArchiveError::Write {
        what: "end of archive".into(),
        source,
    })?;
    w.flush().map_err(|source| ArchiveError::Write {
        what: "end of archive".into(),
        source,
    })
}

fn to_json(what: &str, v: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|source| {
        crate::Error::Serialize {
            what: what.to_string(),
            source,
        }
        .into()
    })
}
