//! Recording a new image made of a parent image plus one layer tar (what `commit` makes of
//! a container's writable layer). The order is the image service's: the layer blob, the
//! config and the manifest go into the store and the layer is unpacked first; the image
//! row and its name are written last, in one transaction, so an interrupted commit leaves
//! no visible image (only blobs that `system prune` collects).

use std::io::Read;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::layers::Hashing;
use super::register::Registration;
use super::ImageService;
use crate::error::{EngineError, Result};

/// A layer on top of a parent image.
#[derive(Debug)]
pub struct LayerImage {
    /// The parent image's id (`sha256:…`).
    pub parent: String,
    /// The layer as a plain (uncompressed) tar file.
    pub layer: PathBuf,
    /// The new image's `config` section (Cmd, Env, …).
    pub config: Value,
    /// `author` of the image config (`commit -a`).
    pub author: Option<String>,
    /// The history entry's `created_by` and `comment`.
    pub created_by: String,
    pub comment: String,
    /// The name to give it (`repo:tag`).
    pub reference: Option<String>,
}

fn bad(image: &str, reason: impl std::fmt::Display) -> EngineError {
    EngineError::BadConfig {
        image: image.to_string(),
        reason: reason.to_string(),
    }
}

impl ImageService {
    /// Stores the layer and the new config and manifest, then records the image; returns
    /// its id.
    pub fn add_layer_image(&mut self, li: &LayerImage) -> Result<String> {
        let names = match &li.reference {
            Some(r) => vec![image::Reference::parse(r)?.to_string()],
            None => Vec::new(),
        };
        let _lock = self.lock_for_writing()?;
        let open =
            || std::fs::File::open(&li.layer).map_err(|e| EngineError::io("open", &li.layer, e));
        let mut hashing = Hashing::new(open()?);
        std::io::copy(&mut hashing, &mut std::io::sink())
            .map_err(|e| EngineError::io("read", &li.layer, e))?;
        let size = hashing.bytes;
        let diff_id = hashing.digest();
        let diff = image::digest::parse(&diff_id)?;
        self.store.ingest_reader(
            image::Expected {
                digest: diff,
                size: Some(size),
            },
            open()?.take(size),
        )?;

        let parent = self
            .db
            .image(&li.parent)?
            .ok_or_else(|| EngineError::NoSuchImage {
                name: li.parent.clone(),
            })?;
        let md = image::digest::parse(&parent.manifest_digest)?;
        let mut manifest: Value = serde_json::from_slice(&self.store.read(&md)?)
            .map_err(|e| bad(&li.parent, format!("manifest: {e}")))?;
        let mut config = self.config_json(&li.parent)?;

        let created = humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string();
        config["created"] = json!(created);
        config["config"] = li.config.clone();
        if let Some(a) = &li.author {
            config["author"] = json!(a);
        }
        let mut entry = json!({"created": created, "created_by": li.created_by});
        if let Some(a) = &li.author {
            entry["author"] = json!(a);
        }
        if !li.comment.is_empty() {
            entry["comment"] = json!(li.comment);
        }
        push(&mut config, "history", entry);
        if !config["rootfs"].is_object() {
            config["rootfs"] = json!({"type": "layers", "diff_ids": []});
        }
        push(&mut config["rootfs"], "diff_ids", json!(diff_id));
        let config_bytes = serde_json::to_vec(&config).map_err(|e| bad(&li.parent, e))?;
        let config_digest = self.store.put(&config_bytes)?;

        let docker = manifest["mediaType"]
            .as_str()
            .is_some_and(|m| m.contains("docker"));
        let layer_type = if docker {
            "application/vnd.docker.image.rootfs.diff.tar"
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        manifest["config"]["digest"] = json!(config_digest.to_string());
        manifest["config"]["size"] = json!(config_bytes.len());
        push(
            &mut manifest,
            "layers",
            json!({"mediaType": layer_type, "digest": diff_id, "size": size}),
        );
        let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| bad(&li.parent, e))?;
        let manifest_digest = self.store.put(&manifest_bytes)?;

        let typed_manifest: image::oci_spec::image::ImageManifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| bad(&li.parent, e))?;
        let typed_config = image::manifest::parse_config(&config_bytes, &config_digest)?;
        self.register(Registration {
            what: format!("commit of {}", li.parent),
            manifest_digest: &manifest_digest,
            manifest: &typed_manifest,
            config: &typed_config,
            extra_blobs: Vec::new(),
            names,
        })
    }
}

fn push(obj: &mut Value, key: &str, v: Value) {
    match obj.get_mut(key).and_then(Value::as_array_mut) {
        Some(a) => a.push(v),
        None => obj[key] = json!([v]),
    }
}
