//! OCI image layout in a tar (`oci-archive`): `oci-layout`, `index.json`, `blobs/sha256/`.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use oci_spec::image::{Descriptor, Digest, ImageIndexBuilder, MediaType};
use serde::Deserialize;

use super::docker::{append, finish};
use super::error::{ArchiveError, Result};
use super::read::{Spooled, Txn};
use super::LoadedImage;
use crate::digest::sha256_hex;
use crate::manifest::{self, Manifest};
use crate::reference::Reference;
use crate::store::BlobStore;

pub(super) const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub(super) const CONTAINERD_NAME: &str = "io.containerd.image.name";
const INDEX_JSON: &str = "index.json";
const OCI_LAYOUT: &str = "oci-layout";
const MAX_DEPTH: usize = 4;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Layout {
    image_layout_version: String,
}

fn blob_entry(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.digest())
}

/// Check every blob the descriptor reaches is in the store with the size it claims.
/// Returns the config digest of an image manifest.
fn check(
    store: &BlobStore,
    d: &Descriptor,
    referenced_by: &str,
    depth: usize,
    keep: &mut HashSet<Digest>,
) -> Result<Option<Digest>> {
    let entry = blob_entry(d.digest());
    let missing = || ArchiveError::MissingEntry {
        entry: entry.clone(),
        referenced_by: referenced_by.to_string(),
    };
    if depth > MAX_DEPTH {
        return Err(ArchiveError::Invalid {
            entry,
            reason: "indexes nested too deep".into(),
        });
    }
    sha256_hex(d.digest())?;
    if !store.exists(d.digest())? {
        return Err(missing());
    }
    let size = store.size(d.digest())?;
    if size != d.size() {
        return Err(ArchiveError::Invalid {
            entry,
            reason: format!("{} bytes, {referenced_by} says {}", size, d.size()),
        });
    }
    keep.insert(d.digest().clone());
    let mt = d.media_type().to_string();
    let is_manifest = [
        manifest::OCI_MANIFEST,
        manifest::DOCKER_MANIFEST,
        manifest::OCI_INDEX,
        manifest::DOCKER_MANIFEST_LIST,
    ]
    .contains(&mt.as_str());
    if !is_manifest {
        return Ok(None);
    }
    let bytes = store.read(d.digest())?;
    let parsed = manifest::parse(&bytes, Some(&mt), &entry)
        .map_err(|e| ArchiveError::Invalid {
            entry: entry.clone(),
            reason: e.to_string(),
        })?
        .1;
    match parsed {
        Manifest::Image(m) => {
            check(store, m.config(), &entry, depth + 1, keep)?;
            for l in m.layers() {
                let lt = l.media_type().to_string();
                let foreign = lt.contains("foreign") || lt.contains("nondistributable");
                if foreign && !store.exists(l.digest())? {
                    continue;
                }
                check(store, l, &entry, depth + 1, keep)?;
            }
            Ok(Some(m.config().digest().clone()))
        }
        Manifest::Index(idx) => {
            // Like a pulled image, an index may come with only some of its platforms.
            let mut any = false;
            for c in idx.manifests() {
                if store.exists(c.digest())? {
                    check(store, c, &entry, depth + 1, keep)?;
                    any = true;
                }
            }
            if !any && !idx.manifests().is_empty() {
                return Err(ArchiveError::MissingEntry {
                    entry: idx
                        .manifests()
                        .first()
                        .map(|c| blob_entry(c.digest()))
                        .unwrap_or_default(),
                    referenced_by: entry,
                });
            }
            Ok(None)
        }
    }
}

/// The names an `index.json` entry carries.
fn names(d: &Descriptor) -> Result<(Vec<Reference>, Option<String>)> {
    let Some(ann) = d.annotations() else {
        return Ok((Vec::new(), None));
    };
    let parse = |s: &String| {
        Reference::parse(s).map_err(|source| ArchiveError::InvalidName {
            entry: INDEX_JSON.into(),
            tag: s.clone(),
            source,
        })
    };
    let ref_name = ann.get(REF_NAME).cloned();
    if let Some(full) = ann.get(CONTAINERD_NAME) {
        return Ok((vec![parse(full)?], ref_name));
    }
    match &ref_name {
        // A bare tag (`latest`) names no repository.
        Some(r) if r.contains('/') || r.contains(':') => Ok((vec![parse(r)?], ref_name)),
        _ => Ok((Vec::new(), ref_name)),
    }
}

pub(super) fn interpret(
    sp: &Spooled,
    txn: &mut Txn<'_>,
    keep: &mut HashSet<Digest>,
) -> Result<Vec<LoadedImage>> {
    let store = txn.store();
    if let Some(l) = sp.meta.get(OCI_LAYOUT) {
        let l: Layout = serde_json::from_slice(l).map_err(|e| ArchiveError::Invalid {
            entry: OCI_LAYOUT.into(),
            reason: e.to_string(),
        })?;
        if !l.image_layout_version.starts_with("1.") {
            return Err(ArchiveError::Invalid {
                entry: OCI_LAYOUT.into(),
                reason: format!("unsupported imageLayoutVersion {}", l.image_layout_version),
            });
        }
    }
    let bytes = sp
        .meta
        .get(INDEX_JSON)
        .ok_or_else(|| ArchiveError::MissingEntry {
            entry: INDEX_JSON.into(),
            referenced_by: "the OCI image layout".into(),
        })?;
    let index = match manifest::parse(bytes, Some(manifest::OCI_INDEX), INDEX_JSON) {
        Ok((_, Manifest::Index(i))) => i,
        Ok(_) => {
            return Err(ArchiveError::Invalid {
                entry: INDEX_JSON.into(),
                reason: "not an image index".into(),
            })
        }
        Err(e) => {
            return Err(ArchiveError::Invalid {
                entry: INDEX_JSON.into(),
                reason: e.to_string(),
            })
        }
    };
    let mut out = Vec::new();
    for d in index.manifests() {
        let config_digest = check(store, d, INDEX_JSON, 0, keep)?;
        let (references, ref_name) = names(d)?;
        out.push(LoadedImage {
            references,
            ref_name,
            manifest_digest: d.digest().clone(),
            media_type: d.media_type().to_string(),
            config_digest,
        });
    }
    Ok(out)
}

/// Write one blob (once) and, for manifests and indexes, everything they reach that the
/// store holds (an index may hold only some platforms, as after a pull).
fn write_tree<W: Write>(
    store: &BlobStore,
    b: &mut tar::Builder<W>,
    seen: &mut HashSet<Digest>,
    digest: &Digest,
    media_type: Option<&str>,
    image: &str,
    depth: usize,
) -> Result<()> {
    let wrap = |source: crate::Error| ArchiveError::Image {
        image: image.to_string(),
        source,
    };
    if depth > MAX_DEPTH || !seen.insert(digest.clone()) {
        return Ok(());
    }
    sha256_hex(digest).map_err(wrap)?;
    let size = store.size(digest).map_err(wrap)?;
    let f = store.open_blob(digest).map_err(wrap)?;
    append(b, &blob_entry(digest), size, f)?;
    let is_manifest = media_type.is_none_or(|mt| {
        [
            manifest::OCI_MANIFEST,
            manifest::DOCKER_MANIFEST,
            manifest::OCI_INDEX,
            manifest::DOCKER_MANIFEST_LIST,
        ]
        .contains(&mt)
    });
    if !is_manifest {
        return Ok(());
    }
    let bytes = store.read(digest).map_err(wrap)?;
    match manifest::parse(&bytes, media_type, image).map_err(wrap)?.1 {
        Manifest::Image(m) => {
            let c = m.config();
            write_tree(store, b, seen, c.digest(), Some("config"), image, depth + 1)?;
            for l in m.layers() {
                write_tree(store, b, seen, l.digest(), Some("layer"), image, depth + 1)?;
            }
        }
        Manifest::Index(idx) => {
            for c in idx.manifests() {
                if store.exists(c.digest()).map_err(wrap)? {
                    let mt = c.media_type().to_string();
                    write_tree(store, b, seen, c.digest(), Some(&mt), image, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}

pub(super) fn save(
    store: &BlobStore,
    images: &[(Vec<Reference>, Digest)],
    out: impl Write,
) -> Result<()> {
    let mut b = tar::Builder::new(out);
    let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
    append(&mut b, OCI_LAYOUT, layout.len() as u64, &layout[..])?;
    append(&mut b, "blobs/", 0, io::empty())?;
    append(&mut b, "blobs/sha256/", 0, io::empty())?;
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for (refs, digest) in images {
        let image = refs
            .first()
            .map_or_else(|| digest.to_string(), Reference::familiar);
        let wrap = |source: crate::Error| ArchiveError::Image {
            image: image.clone(),
            source,
        };
        let bytes = store.read(digest).map_err(wrap)?;
        let (media_type, _) = manifest::parse(&bytes, None, &image).map_err(wrap)?;
        write_tree(store, &mut b, &mut seen, digest, None, &image, 0)?;
        let desc = Descriptor::new(
            MediaType::from(media_type.as_str()),
            bytes.len() as u64,
            digest.clone(),
        );
        if refs.is_empty() {
            entries.push(desc.clone());
        }
        for r in refs {
            let full = r.to_string();
            let mut d = desc.clone();
            d.set_annotations(Some(HashMap::from([
                (CONTAINERD_NAME.to_string(), full.clone()),
                (REF_NAME.to_string(), full),
            ])));
            entries.push(d);
        }
    }
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(entries)
        .build()
        .map_err(|err| ArchiveError::Build {
            what: INDEX_JSON.into(),
            reason: err.to_string(),
        })?;
    // The annotations are a HashMap: sort every JSON object's keys so saving twice gives
    // the same bytes (serde_json keeps insertion order when a crate in the build enables
    // its `preserve_order` feature, so a round trip through Value alone is not enough).
    let ij = serde_json::to_value(&index)
        .map(sorted)
        .and_then(|v| serde_json::to_vec(&v))
        .map_err(|source| crate::Error::Serialize {
            what: INDEX_JSON.into(),
            source,
        })?;
    append(&mut b, INDEX_JSON, ij.len() as u64, ij.as_slice())?;
    finish(b)
}

/// The same JSON with every object's keys in sorted order.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let ordered: std::collections::BTreeMap<String, serde_json::Value> =
                m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            serde_json::Value::Object(ordered.into_iter().collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sorted).collect())
        }
        other => other,
    }
}
