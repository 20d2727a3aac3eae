//! Pull: the registry client fills the blob store, each layer is unpacked once, then one
//! transaction records the image and its names.

use image::{PlatformSpec, Progress, PullOptions, Reference, RegistryClient};

use super::register::Registration;
use super::ImageService;
use crate::error::Result;

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
        let repo_digest = pulled.repo_digest.to_string();
        let mut names = Vec::new();
        if reference.digest().is_none() {
            names.push(name.clone());
        }
        names.push(reference.with_digest(&pulled.repo_digest).to_string());
        let image_id = self.register(Registration {
            what: reference.familiar(),
            manifest_digest: pulled.manifest_descriptor.digest(),
            manifest: &pulled.manifest,
            config: &pulled.config,
            extra_blobs: pulled
                .index
                .iter()
                .map(|d| d.digest().to_string())
                .collect(),
            names,
        })?;
        self.emit_image("pull", &reference.familiar(), &reference.familiar());
        Ok(PullReport {
            updated: before.as_deref() != Some(image_id.as_str()),
            repo_digest,
            image_id,
        })
    }
}
