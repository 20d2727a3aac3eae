//! Progress reporting for pull and push, shaped after Docker's per-layer status lines
//! (`Pulling fs layer`, `Downloading`, `Verifying Checksum`, `Download complete`,
//! `Already exists`, `Pushing`, `Layer already exists`, `Mounted from`, `Pushed`), so the
//! CLI can draw Docker-style bars on a terminal and plain lines otherwise.

use oci_spec::image::Digest;

/// One event. `id` is the short blob id Docker shows (12 hex characters of the digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// The reference is being resolved to a manifest.
    Resolving { reference: String },
    /// The image's manifest digest is known.
    Resolved { reference: String, digest: String },
    /// Pull: a layer is queued.
    Waiting { id: String },
    /// Pull: a layer is already in the store and will not be fetched.
    AlreadyExists { id: String, digest: Digest },
    /// Pull: bytes received (`current` of `total`).
    Downloading {
        id: String,
        current: u64,
        total: u64,
    },
    /// Pull: the connection dropped; resuming at `offset` (attempt `attempt`).
    Retrying {
        id: String,
        attempt: u32,
        offset: u64,
    },
    /// Pull: size and digest checked, blob committed. Sent from the download worker as
    /// soon as the layer is in the store, so a caller can start unpacking it while the
    /// other layers are still downloading.
    DownloadComplete { id: String, digest: Digest },
    /// Push: the registry already has the blob.
    LayerAlreadyExists { id: String },
    /// Push: the blob was mounted from another repository of the same registry.
    MountedFrom { id: String, repository: String },
    /// Push: bytes sent.
    Pushing {
        id: String,
        current: u64,
        total: u64,
    },
    /// Push: the blob is in the registry.
    Pushed { id: String },
    /// Push: the manifest was stored under `tag` with `digest`.
    ManifestPushed {
        tag: String,
        digest: String,
        size: u64,
    },
}

/// Receives progress events. Called from download worker threads, hence `Sync`.
pub trait Progress: Send + Sync {
    fn event(&self, event: ProgressEvent);
}

/// Discards all events.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent) {}
}

impl<F: Fn(ProgressEvent) + Send + Sync> Progress for F {
    fn event(&self, event: ProgressEvent) {
        self(event)
    }
}

/// Docker's short id of a digest: the first 12 hex characters.
pub fn short_id(digest: &oci_spec::image::Digest) -> String {
    digest.digest().chars().take(12).collect()
}
