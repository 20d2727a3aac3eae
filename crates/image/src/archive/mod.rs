//! Image archives: `save` and `load` in the two formats other engines use.
//!
//! - **docker-archive** (`docker save`, `podman save --format docker-archive`): a tar with
//!   `manifest.json`, the config as `<hex>.json`, each layer uncompressed. Read in all three
//!   layouts seen in the wild: `<id>/layer.tar` (docker < 25), `<hex>.tar` (podman/skopeo)
//!   and `blobs/sha256/<hex>` (docker 25+, with symlinks from the legacy paths).
//! - **OCI layout** (`oci-layout`, `index.json`, `blobs/sha256/...`) as a tar: podman's and
//!   skopeo's `oci-archive`, names in `org.opencontainers.image.ref.name` or
//!   `io.containerd.image.name`.
//!
//! Loading streams the tar once (plain, gzip or zstd): blob entries go straight into the
//! store through verified ingest (checked against their name when it is a digest), metadata
//! stays in memory; then the format is detected and the images checked and built. Any
//! failure deletes what this load added: the store is left as before.

mod docker;
pub mod error;
mod layer;
mod oci;
mod path;
mod read;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::io::{Read, Write};

use oci_spec::image::Digest;

use crate::reference::Reference;
use crate::store::BlobStore;

pub use error::{ArchiveError, Result};

/// The two archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    DockerArchive,
    OciLayout,
}

/// One image an archive held, now in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedImage {
    /// Its names (`RepoTags`, or the OCI name annotations), normalised.
    pub references: Vec<Reference>,
    /// An OCI `org.opencontainers.image.ref.name` that is only a tag (`latest`): kept as is.
    pub ref_name: Option<String>,
    /// The manifest (or, for an OCI index entry, the index) in the store.
    pub manifest_digest: Digest,
    pub media_type: String,
    /// The image config (the image ID); `None` when the entry is an index.
    pub config_digest: Option<Digest>,
}

/// Write `images` (names, manifest or index digest) as a docker-archive. Layers are written
/// uncompressed and checked against the config's `rootfs.diff_ids`; an index is resolved to
/// its linux/amd64 entry (Docker's default platform).
pub fn save_docker_archive(
    store: &BlobStore,
    images: &[(Vec<Reference>, Digest)],
    out: impl Write,
) -> Result<()> {
    docker::save(store, images, out)
}

/// Write `images` as an OCI layout in a tar (`oci-archive`): every blob as stored (digests
/// unchanged), one `index.json` entry per name.
pub fn save_oci_archive(
    store: &BlobStore,
    images: &[(Vec<Reference>, Digest)],
    out: impl Write,
) -> Result<()> {
    oci::save(store, images, out)
}

/// Load a docker-archive (plain, gzip or zstd tar).
pub fn load_docker_archive(input: impl Read, store: &BlobStore) -> Result<Vec<LoadedImage>> {
    load_as(input, store, Some(ArchiveFormat::DockerArchive)).map(|(_, v)| v)
}

/// Load an OCI layout tar (plain, gzip or zstd).
pub fn load_oci_archive(input: impl Read, store: &BlobStore) -> Result<Vec<LoadedImage>> {
    load_as(input, store, Some(ArchiveFormat::OciLayout)).map(|(_, v)| v)
}

/// Load either format, detected from the content: `manifest.json` means docker-archive
/// (as `docker load` decides, even when an `index.json` is there too), else `index.json`
/// means an OCI layout.
pub fn load_archive(
    input: impl Read,
    store: &BlobStore,
) -> Result<(ArchiveFormat, Vec<LoadedImage>)> {
    load_as(input, store, None)
}

fn load_as(
    input: impl Read,
    store: &BlobStore,
    want: Option<ArchiveFormat>,
) -> Result<(ArchiveFormat, Vec<LoadedImage>)> {
    let mut txn = read::Txn::new(store);
    let spooled = read::spool(read::decompressed(input)?, &mut txn)?;
    let format = match want {
        Some(f) => f,
        None if spooled.meta.contains_key("manifest.json") => ArchiveFormat::DockerArchive,
        None if spooled.meta.contains_key("index.json") => ArchiveFormat::OciLayout,
        None => {
            return Err(ArchiveError::UnknownFormat {
                reason: "neither manifest.json (docker-archive) nor index.json (OCI layout) found"
                    .into(),
            })
        }
    };
    let mut keep = HashSet::new();
    let images = match format {
        ArchiveFormat::DockerArchive => docker::interpret(&spooled, &mut txn, &mut keep)?,
        ArchiveFormat::OciLayout => oci::interpret(&spooled, &mut txn, &mut keep)?,
    };
    txn.commit(&keep);
    Ok((format, images))
}
