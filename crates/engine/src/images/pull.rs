//! Pull: the registry client fills the blob store, each layer is unpacked once, then one
//! transaction records the image and its names.

use image::{PlatformSpec, Progress, PullOptions, Reference, RegistryClient};

use super::layers::{chain_ids, ensure_layer};
use super::{now_unix, ImageService};
use crate::db::{ImageRecord, NewImage};
use crate::error::{EngineError, Result};

/// What a pull did, for Docker's closing lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullReport {
    /// `sha256:…` of what the reference points at (Docker's `Digest:` line).
    pub repo_digest: String,
    pub image_id: String,
    /// False when the name already pointed at this image ("Image is up to date").
    pub updated: bool,
}

impl ImageService {
    /// Pull `reference` for `platform`; see the module documentation.
    pub fn pull(
        &mut self,
        client: &RegistryClient,
        reference: &Reference,
        platform: &PlatformSpec,
        progress: &dyn Progress,
    ) -> Result<PullReport> {
        let _lock = self.lock_for_writing()?;
        let name = reference.to_string();
        let before = self.db.resolve_name(&name)?;
        let opts = PullOptions {
            platform: platform.clone(),
            ..PullOptions::default()
        };
        let pulled = client.pull(reference, &self.store, &opts, progress)?;
        let image_id = pulled.image_id().to_string();
        let diff_ids: Vec<String> = pulled
            .config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| d.to_string())
            .collect();
        if diff_ids.len() != pulled.manifest.layers().len() {
            return Err(EngineError::BadConfig {
                image: reference.familiar(),
                reason: format!(
                    "{} diff_ids for {} layers in the manifest",
                    diff_ids.len(),
                    pulled.manifest.layers().len()
                ),
            });
        }
        let chains = chain_ids(&diff_ids);
        let mut layers = Vec::new();
        let mut size = 0;
        for ((desc, diff), chain) in pulled.manifest.layers().iter().zip(&diff_ids).zip(&chains) {
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
        let mut blobs = vec![
            image_id.clone(),
            pulled.manifest_descriptor.digest().to_string(),
        ];
        blobs.extend(pulled.index.iter().map(|d| d.digest().to_string()));
        blobs.extend(
            pulled
                .manifest
                .layers()
                .iter()
                .map(|d| d.digest().to_string()),
        );
        let repo_digest = pulled.repo_digest.to_string();
        let mut names = Vec::new();
        if reference.digest().is_none() {
            names.push(name.clone());
        }
        names.push(reference.with_digest(&pulled.repo_digest).to_string());
        self.db.insert_image(&NewImage {
            record: ImageRecord {
                id: image_id.clone(),
                manifest_digest: pulled.manifest_descriptor.digest().to_string(),
                created: pulled.config.created().clone(),
                size,
                os: pulled.config.os().to_string(),
                arch: pulled.config.architecture().to_string(),
                added: now_unix(),
            },
            names,
            layers,
            blobs,
        })?;
        Ok(PullReport {
            updated: before.as_deref() != Some(image_id.as_str()),
            repo_digest,
            image_id,
        })
    }
}
