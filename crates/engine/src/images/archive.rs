//! `save` and `load` in the docker-archive format (what `docker save` wrote before OCI
//! layouts, and what `docker load`, `podman load` and skopeo's `docker-archive:` read):
//!
//! ```text
//! manifest.json           [{"Config":"<hex>.json","RepoTags":["busybox:latest"],"Layers":["<diff hex>/layer.tar"]}]
//! <config hex>.json       the image config
//! <diff id hex>/layer.tar each layer, uncompressed
//! repositories            {"busybox":{"latest":"<config hex>"}}
//! ```
//!
//! `load` follows `manifest.json`'s paths, so it also reads Docker 25's archives (an OCI
//! layout whose `manifest.json` points into `blobs/sha256/`), compressed layers included.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use super::layers::{chain_ids, decompressed, ensure_layer, Hashing};
use super::{now_unix, ImageService};
use crate::db::{ImageRecord, NewImage};
use crate::error::{EngineError, Result};

impl ImageService {
    /// Write the named images (names or ids) as one docker-archive tar to `out`.
    pub fn save(&self, names: &[String], out: impl Write) -> Result<()> {
        let err = |reason: String| EngineError::Archive { op: "save", reason };
        let mut ids: Vec<(String, Vec<String>)> = Vec::new();
        for n in names {
            let id = self.resolve(n)?;
            let tag = image::Reference::parse(n)
                .ok()
                .filter(|r| r.digest().is_none())
                .filter(|r| {
                    self.db
                        .resolve_name(&r.to_string())
                        .ok()
                        .flatten()
                        .as_deref()
                        == Some(id.as_str())
                })
                .map(|r| r.familiar());
            match ids.iter_mut().find(|(i, _)| *i == id) {
                Some((_, tags)) => tags.extend(tag),
                None => ids.push((id, tag.into_iter().collect())),
            }
        }
        let mut tar = tar::Builder::new(out);
        let mut manifest = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut written = std::collections::HashSet::new();
        for (id, tags) in &ids {
            let hex = id.trim_start_matches("sha256:");
            let config = self.store.read(&image::digest::parse(id)?)?;
            append(
                &mut tar,
                &format!("{hex}.json"),
                &mut &config[..],
                config.len() as u64,
            )?;
            let cfg: Value = serde_json::from_slice(&config).map_err(|e| err(e.to_string()))?;
            let mfst: Value = {
                let rec = self
                    .db
                    .image(id)?
                    .ok_or_else(|| EngineError::NoSuchImage { name: id.clone() })?;
                let bytes = self
                    .store
                    .read(&image::digest::parse(&rec.manifest_digest)?)?;
                serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?
            };
            let diff_ids: Vec<String> = cfg
                .pointer("/rootfs/diff_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let blobs: Vec<String> = mfst
                .get("layers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.get("digest")?.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let mut layer_paths = Vec::new();
            for (diff, blob) in diff_ids.iter().zip(&blobs) {
                let path = format!("{}/layer.tar", diff.trim_start_matches("sha256:"));
                if written.insert(path.clone()) {
                    // The tar header needs the size: spool the uncompressed layer first.
                    let mut tmp = self.spool()?;
                    let src = self.store.open_blob(&image::digest::parse(blob)?)?;
                    let mut plain = decompressed(src).map_err(|e| err(e.to_string()))?;
                    let size =
                        std::io::copy(&mut plain, &mut tmp.1).map_err(|e| err(e.to_string()))?;
                    tmp.1
                        .seek(SeekFrom::Start(0))
                        .map_err(|e| err(e.to_string()))?;
                    let r = append(&mut tar, &path, &mut tmp.1, size);
                    let _ = std::fs::remove_file(&tmp.0);
                    r?;
                }
                layer_paths.push(path);
            }
            for t in tags {
                if let Some((repo, tag)) = t.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
                    repositories
                        .entry(repo.into())
                        .or_default()
                        .insert(tag.into(), hex.into());
                }
            }
            manifest.push(
                json!({"Config": format!("{hex}.json"), "RepoTags": tags, "Layers": layer_paths}),
            );
        }
        let m = serde_json::to_vec(&manifest).map_err(|e| err(e.to_string()))?;
        append(&mut tar, "manifest.json", &mut &m[..], m.len() as u64)?;
        let r = serde_json::to_vec(&repositories).map_err(|e| err(e.to_string()))?;
        append(&mut tar, "repositories", &mut &r[..], r.len() as u64)?;
        tar.into_inner()
            .and_then(|mut w| w.flush())
            .map_err(|e| err(e.to_string()))?;
        Ok(())
    }

    fn spool(&self) -> Result<(PathBuf, File)> {
        let dir = self.root.tmp_dir();
        for i in 0..1000u32 {
            let p = dir.join(format!("spool-{}-{i}", std::process::id()));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&p)
            {
                Ok(f) => return Ok((p, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(EngineError::io("create", p, e)),
            }
        }
        Err(EngineError::io(
            "create",
            dir,
            std::io::ErrorKind::AlreadyExists.into(),
        ))
    }

    /// Load a docker-archive tar (plain or compressed). Returns, per image, its id and tags.
    pub fn load(&mut self, input: impl Read) -> Result<Vec<(String, Vec<String>)>> {
        let err = |reason: String| EngineError::Archive { op: "load", reason };
        let _lock = self.lock_for_writing()?;
        // Unpack the archive's regular files into a private temp dir (names checked).
        let work = self
            .root
            .tmp_dir()
            .join(format!("load-{}-{}", std::process::id(), now_unix()));
        std::fs::create_dir_all(&work)
            .map_err(|e| EngineError::io("create directory", &work, e))?;
        let result = self.load_from(input, &work, &err);
        let _ = std::fs::remove_dir_all(&work);
        result
    }

    fn load_from(
        &mut self,
        input: impl Read,
        work: &Path,
        err: &dyn Fn(String) -> EngineError,
    ) -> Result<Vec<(String, Vec<String>)>> {
        let plain = decompressed(input).map_err(|e| err(e.to_string()))?;
        let mut archive = tar::Archive::new(plain);
        for entry in archive.entries().map_err(|e| err(e.to_string()))? {
            let mut entry = entry.map_err(|e| err(e.to_string()))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_err(|e| err(e.to_string()))?.into_owned();
            if path
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
            {
                return Err(err(format!(
                    "refused entry {}: path leaves the archive",
                    path.display()
                )));
            }
            let dest = work.join(&path);
            if let Some(p) = dest.parent() {
                std::fs::create_dir_all(p)
                    .map_err(|e| EngineError::io("create directory", p, e))?;
            }
            let mut f = File::create(&dest).map_err(|e| EngineError::io("create", &dest, e))?;
            std::io::copy(&mut entry, &mut f).map_err(|e| EngineError::io("write", &dest, e))?;
        }
        let mpath = work.join("manifest.json");
        let text = std::fs::read(&mpath)
            .map_err(|_| err("no manifest.json: not a docker-archive (docker save) tar".into()))?;
        let entries: Vec<Value> =
            serde_json::from_slice(&text).map_err(|e| err(format!("manifest.json: {e}")))?;
        let mut loaded = Vec::new();
        for m in entries {
            let file = |k: &Value| -> Result<PathBuf> {
                let rel = k
                    .as_str()
                    .ok_or_else(|| err("manifest.json: a path is not a string".into()))?;
                if Path::new(rel)
                    .components()
                    .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
                {
                    return Err(err(format!("manifest.json: path {rel} leaves the archive")));
                }
                Ok(work.join(rel))
            };
            let config_bytes =
                std::fs::read(file(&m["Config"])?).map_err(|e| err(format!("config: {e}")))?;
            let cfg: Value =
                serde_json::from_slice(&config_bytes).map_err(|e| err(format!("config: {e}")))?;
            let config_digest = self.store.put(&config_bytes)?;
            let id = config_digest.to_string();
            let diff_ids: Vec<String> = cfg
                .pointer("/rootfs/diff_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let layer_files = m["Layers"].as_array().cloned().unwrap_or_default();
            if layer_files.len() != diff_ids.len() {
                return Err(err(format!(
                    "image {id}: {} layers for {} diff_ids",
                    layer_files.len(),
                    diff_ids.len()
                )));
            }
            let chains = chain_ids(&diff_ids);
            let mut layers = Vec::new();
            let mut descs = Vec::new();
            let mut blobs = vec![id.clone()];
            let mut size = 0;
            for ((lf, diff), chain) in layer_files.iter().zip(&diff_ids).zip(&chains) {
                let path = file(lf)?;
                // Store the file as it is (compressed or not); hash its content to name it.
                let mut h =
                    Hashing::new(File::open(&path).map_err(|e| EngineError::io("open", &path, e))?);
                std::io::copy(&mut h, &mut std::io::sink())
                    .map_err(|e| EngineError::io("read", &path, e))?;
                let len = h.bytes;
                let digest = image::digest::parse(&h.digest())?;
                let f = File::open(&path).map_err(|e| EngineError::io("open", &path, e))?;
                self.store.ingest_reader(
                    image::Expected {
                        digest: digest.clone(),
                        size: Some(len),
                    },
                    f,
                )?;
                let mut magic = [0u8; 4];
                let n = File::open(&path)
                    .and_then(|mut f| f.read(&mut magic))
                    .unwrap_or(0);
                let media = if n >= 2 && magic[..2] == [0x1f, 0x8b] {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                } else if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
                    "application/vnd.oci.image.layer.v1.tar+zstd"
                } else {
                    "application/vnd.oci.image.layer.v1.tar"
                };
                let (l, _) = ensure_layer(&self.root, &self.db, &self.store, &digest, diff, chain)?;
                size += l.size;
                layers.push(l);
                descs.push(json!({"mediaType": media, "digest": digest.to_string(), "size": len}));
                blobs.push(digest.to_string());
            }
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": id, "size": config_bytes.len()},
                "layers": descs,
            });
            let mb = serde_json::to_vec(&manifest).map_err(|e| err(e.to_string()))?;
            let manifest_digest = self.store.put(&mb)?.to_string();
            blobs.push(manifest_digest.clone());
            let mut names = Vec::new();
            let mut tags = Vec::new();
            for t in m["RepoTags"].as_array().cloned().unwrap_or_default() {
                if let Some(t) = t.as_str() {
                    let r = image::Reference::parse(t)?;
                    tags.push(r.familiar());
                    names.push(r.to_string());
                }
            }
            let text = |k: &str| cfg.get(k).and_then(Value::as_str).map(String::from);
            self.db.insert_image(&NewImage {
                record: ImageRecord {
                    id: id.clone(),
                    manifest_digest,
                    created: text("created"),
                    size,
                    os: text("os").unwrap_or_else(|| "linux".into()),
                    arch: text("architecture").unwrap_or_default(),
                    added: now_unix(),
                },
                names,
                layers,
                blobs,
            })?;
            loaded.push((id, tags));
        }
        Ok(loaded)
    }
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    data: &mut dyn Read,
    size: u64,
) -> Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, path, data)
        .map_err(|e| EngineError::Archive {
            op: "save",
            reason: format!("write {path}: {e}"),
        })
}
