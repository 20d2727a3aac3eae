//! Recording an image whose manifest, config and layer blobs are already in the store
//! (after a pull or a load): each layer unpacked once with its diff id verified, then
//! one short DB transaction with its names.

use image::oci_spec::image::{Digest, ImageConfiguration, ImageManifest};

use super::layers::{chain_ids, ensure_layer};
use super::{now_unix, ImageService};
use crate::db::{ImageRecord, NewImage};
use crate::error::{EngineError, Result};

/// What `register` records: the image, where its blobs came from, and its names.
pub(super) struct Registration<'a> {
    /// How to name the image in errors (a reference or an archive entry).
    pub what: String,
    pub manifest_digest: &'a Digest,
    pub manifest: &'a ImageManifest,
    pub config: &'a ImageConfiguration,
    /// Blobs besides config, manifest and layers that the image keeps (an index).
    pub extra_blobs: Vec<String>,
    /// Full reference names (`docker.io/library/busybox:latest`, `repo@sha256:…`).
    pub names: Vec<String>,
}

impl ImageService {
    /// Unpacks the layers and records the image; returns its id (config digest).
    pub(super) fn register(&mut self, r: Registration<'_>) -> Result<String> {
        let image_id = r.manifest.config().digest().to_string();
        let diff_ids: Vec<String> = r
            .config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| d.to_string())
            .collect();
        if diff_ids.len() != r.manifest.layers().len() {
            return Err(EngineError::BadConfig {
                image: r.what,
                reason: format!(
                    "{} diff_ids for {} layers in the manifest",
                    diff_ids.len(),
                    r.manifest.layers().len()
                ),
            });
        }
        let chains = chain_ids(&diff_ids);
        let mut layers = Vec::new();
        let mut size = 0;
        for ((desc, diff), chain) in r.manifest.layers().iter().zip(&diff_ids).zip(&chains) {
            let (l, _new) = ensure_layer(
                &self.root,
                &self.db,
                &self.store,
                desc.digest(),
                diff,
                chain,
            )?;
            size += l.size;
            layers.push(l);
        }
        let mut blobs = vec![image_id.clone(), r.manifest_digest.to_string()];
        blobs.extend(r.extra_blobs);
        blobs.extend(r.manifest.layers().iter().map(|d| d.digest().to_string()));
        self.db.insert_image(&NewImage {
            record: ImageRecord {
                id: image_id.clone(),
                manifest_digest: r.manifest_digest.to_string(),
                created: r.config.created().clone(),
                size,
                os: r.config.os().to_string(),
                arch: r.config.architecture().to_string(),
                added: now_unix(),
            },
            names: r.names,
            layers,
            blobs,
        })?;
        Ok(image_id)
    }
}
