//! The image service: names → images → layers, over the blob store (`<root>/blobs`), the
//! unpacked layers (`<root>/layers/<chain-id hex>`) and the state database.
//!
//! Every change follows one order: files first (blobs verified into the store, layers
//! unpacked and renamed into place), then one short DB transaction; removal is the reverse
//! (rows first, files after the commit). See [`crate::db`] for why.

mod archive;
mod commit;
mod history;
mod import;
mod inspect;
mod layers;

mod pull;
mod push;
mod register;
mod remove;

use crate::lock::{Held, Lock};
use std::path::PathBuf;
use std::time::SystemTime;

use image::{BlobStore, Reference, ReferenceError};

use crate::db::{Db, ImageRecord};
use crate::error::{EngineError, Result};
use crate::root::Root;

pub use commit::LayerImage;
pub use history::HistoryEntry;
pub use import::{parse_change, ImportOptions};
pub use pull::PullReport;
pub use push::PushReport;
pub use remove::{PruneReport, RemoveLine};

/// One image as `images` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    /// `sha256:…` (the config digest).
    pub id: String,
    /// Familiar tags: `busybox:latest`, `127.0.0.1:5000/busybox:t1`.
    pub repo_tags: Vec<String>,
    /// Familiar digest references: `busybox@sha256:…`.
    pub repo_digests: Vec<String>,
    pub created: Option<SystemTime>,
    /// Bytes of unpacked content (what Docker's SIZE column shows).
    pub size: u64,
}

/// The image service of one state root.
#[derive(Debug)]
pub struct ImageService {
    root: Root,
    db: Db,
    store: BlobStore,
}

impl ImageService {
    /// Open the state under `root`, creating what is missing.
    pub fn open(root: Root) -> Result<Self> {
        for d in [root.dir().to_path_buf(), root.layers_dir(), root.tmp_dir()] {
            std::fs::create_dir_all(&d).map_err(|e| EngineError::io("create directory", &d, e))?;
        }
        let db = Db::open(&root.db_path())?;
        let store = BlobStore::open(root.dir())?;
        Ok(ImageService { root, db, store })
    }

    pub fn root(&self) -> &Root {
        &self.root
    }
    pub fn store(&self) -> &BlobStore {
        &self.store
    }
    pub fn db(&self) -> &Db {
        &self.db
    }
    pub(crate) fn db_mut(&mut self) -> &mut Db {
        &mut self.db
    }

    /// Take the store lock and clear what an interrupted pull or import left (ingest temp
    /// files, unfinished layer dirs): nobody else can be writing them while we hold it.
    fn lock_for_writing(&self) -> Result<Held> {
        let l = Held::exclusive(&self.root, Lock::Images)?;
        if let Err(e) = self.store.clean_ingest() {
            tracing::warn!("clean interrupted downloads: {e}");
        }
        if let Err(e) = storage::remove_interrupted(&self.root.layers_dir()) {
            tracing::warn!("clean interrupted layer unpacks: {e}");
        }
        Ok(l)
    }

    /// The image id a name, full id or short id stands for, Docker's way: a name first,
    /// then an id prefix. Unknown: `No such image: <input>`.
    pub fn resolve(&self, name_or_id: &str) -> Result<String> {
        let none = || EngineError::NoSuchImage {
            name: name_or_id.to_string(),
        };
        if let Some(hex) = name_or_id.strip_prefix("sha256:") {
            if is_hex(hex) && !hex.is_empty() {
                return self.by_prefix(hex)?.ok_or_else(none);
            }
        }
        match Reference::parse(name_or_id) {
            Ok(r) => {
                if let Some(id) = self.db.resolve_name(&r.to_string())? {
                    return Ok(id);
                }
            }
            Err(ReferenceError::HexIdentifier { .. }) => {}
            Err(e) if !is_hex(name_or_id) => return Err(e.into()),
            Err(_) => {}
        }
        if is_hex(name_or_id) {
            return self.by_prefix(name_or_id)?.ok_or_else(none);
        }
        Err(none())
    }

    fn by_prefix(&self, hex: &str) -> Result<Option<String>> {
        let ids = self.db.ids_with_prefix(hex)?;
        match ids.len() {
            0 => Ok(None),
            1 => Ok(ids.into_iter().next()),
            _ => Err(EngineError::NoSuchImage {
                name: format!(
                    "{hex} (ambiguous: {} images start with it; give more of the id)",
                    ids.len()
                ),
            }),
        }
    }

    /// All images, newest first by their config's `created` (as Docker's daemon sorts).
    pub fn list(&self) -> Result<Vec<ImageSummary>> {
        let mut all = self
            .db
            .images()?
            .into_iter()
            .map(|r| self.summary(r))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|s| std::cmp::Reverse(s.created));
        Ok(all)
    }

    /// `system df` for images: how many, and the bytes of their layers (shared ones once).
    pub fn disk_usage(&self) -> Result<(usize, u64)> {
        Ok((self.db.images()?.len(), self.db.layers_size()?))
    }

    /// One image's summary.
    pub fn summary_of(&self, name_or_id: &str) -> Result<ImageSummary> {
        let id = self.resolve(name_or_id)?;
        let rec = self
            .db
            .image(&id)?
            .ok_or_else(|| EngineError::NoSuchImage {
                name: name_or_id.to_string(),
            })?;
        self.summary(rec)
    }

    fn summary(&self, r: ImageRecord) -> Result<ImageSummary> {
        let (repo_tags, repo_digests) = split_names(&self.db.names_of(&r.id)?);
        Ok(ImageSummary {
            created: r.created.as_deref().and_then(parse_time),
            id: r.id,
            repo_tags,
            repo_digests,
            size: r.size,
        })
    }

    /// Docker's `tag SOURCE TARGET`: TARGET (default tag `latest`) now names SOURCE's image.
    pub fn tag(&mut self, source: &str, target: &str) -> Result<()> {
        let id = self.resolve(source)?;
        let dst = Reference::parse(target)?;
        if dst.digest().is_some() {
            return Err(ReferenceError::InvalidFormat {
                reference: target.to_string(),
            }
            .into());
        }
        self.db.set_name(&dst.to_string(), &id)?;
        self.emit_image("tag", &id, &dst.familiar());
        Ok(())
    }

    /// The unpacked layer directories of an image, bottom first (overlay lower dirs).
    pub fn layer_dirs(&self, name_or_id: &str) -> Result<Vec<PathBuf>> {
        let id = self.resolve(name_or_id)?;
        Ok(self
            .db
            .layers_of(&id)?
            .into_iter()
            .map(|l| self.root.dir().join(l.dir))
            .collect())
    }

    /// The image's config, typed (what `run` needs: Cmd, Entrypoint, Env, WorkingDir, User).
    pub fn config(&self, name_or_id: &str) -> Result<image::oci_spec::image::ImageConfiguration> {
        let id = self.resolve(name_or_id)?;
        let d = image::digest::parse(&id)?;
        Ok(image::manifest::parse_config(&self.store.read(&d)?, &d)?)
    }

    /// The image's config blob as JSON (OCI image config).
    pub fn config_json(&self, id: &str) -> Result<serde_json::Value> {
        let d = image::digest::parse(id)?;
        let bytes = self.store.read(&d)?;
        serde_json::from_slice(&bytes).map_err(|e| EngineError::BadConfig {
            image: id.to_string(),
            reason: e.to_string(),
        })
    }
}

/// Full stored names → (familiar tags, familiar digest references), sorted.
fn split_names(names: &[String]) -> (Vec<String>, Vec<String>) {
    let mut tags = Vec::new();
    let mut digests = Vec::new();
    for n in names {
        let familiar = Reference::parse(n)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| n.clone());
        if n.contains('@') {
            digests.push(familiar);
        } else {
            tags.push(familiar);
        }
    }
    (tags, digests)
}

fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An RFC 3339 time from an image config (fractional seconds and `Z` or an offset).
pub(crate) fn parse_time(s: &str) -> Option<SystemTime> {
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        return Some(t);
    }
    // humantime takes only `Z`/no zone: apply a numeric offset by hand.
    let (base, sign, off) = match s.rfind(['+', '-']) {
        Some(i) if i > 10 => (&s[..i], &s[i..i + 1], &s[i + 1..]),
        _ => return None,
    };
    let (h, m) = off.split_once(':')?;
    let secs = h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
    let t = humantime::parse_rfc3339_weak(base).ok()?;
    let d = std::time::Duration::from_secs(secs);
    if sign == "+" {
        t.checked_sub(d)
    } else {
        t.checked_add(d)
    }
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_offsets() {
        let z = parse_time("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_time("2024-01-01T01:00:00+01:00").unwrap(), z);
        assert_eq!(
            parse_time("2024-01-01T00:00:00.123456789Z")
                .unwrap()
                .duration_since(z)
                .unwrap()
                .as_millis(),
            123
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn names_split_into_tags_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let (t, ds) = split_names(&[
            "docker.io/library/busybox:latest".into(),
            format!("docker.io/library/busybox@{d}"),
        ]);
        assert_eq!(t, ["busybox:latest"]);
        assert_eq!(ds, [format!("busybox@{d}")]);
    }
}
