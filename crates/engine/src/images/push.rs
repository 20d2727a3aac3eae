//! Push: a local name's manifest and everything it references, from the blob store to the
//! registry the name points at; the pushed digest is then recorded as a repo digest.

use crate::lock::{Held, Lock};
use image::{Progress, PushOptions, Reference, RegistryClient};

use super::ImageService;
use crate::error::{EngineError, Result};

/// What a push did, for Docker's closing line `TAG: digest: sha256:… size: N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    pub tag: Option<String>,
    pub digest: String,
    pub size: u64,
}

impl ImageService {
    /// Push the image named `name` (a tag that exists here; `latest` when none is given).
    pub fn push(
        &mut self,
        client: &RegistryClient,
        name: &str,
        progress: &dyn Progress,
    ) -> Result<PushReport> {
        let reference = Reference::parse(name)?;
        let _lock = Held::exclusive(&self.root, Lock::Images)?;
        let id = self
            .db
            .resolve_name(&reference.to_string())?
            .ok_or_else(|| EngineError::NoLocalTag {
                name: reference.familiar(),
            })?;
        let rec = self
            .db
            .image(&id)?
            .ok_or_else(|| EngineError::NoSuchImage {
                name: name.to_string(),
            })?;
        let manifest = image::digest::parse(&rec.manifest_digest)?;
        let size = self.store.size(&manifest)?;
        let pushed = client.push(
            &self.store,
            &reference,
            &manifest,
            &PushOptions::default(),
            progress,
        )?;
        self.db
            .set_name(&reference.with_digest(&pushed).to_string(), &id)?;
        self.emit_image("push", &reference.familiar(), &reference.familiar());
        Ok(PushReport {
            tag: reference.tag().map(str::to_string),
            digest: pushed.to_string(),
            size,
        })
    }
}
