//! berth `image` crate: image references, the content-addressed blob store, manifests and
//! indexes (OCI and Docker schema 2), and the registry client (DESIGN.md §2).
//!
//! - [`reference`]: names parsed and normalised as Docker does (`busybox` =
//!   `docker.io/library/busybox:latest`).
//! - [`store`]: `<root>/blobs/sha256/<hex>`, every blob checked (size, sha256) on the way in.
//! - [`manifest`]: manifests, indexes, platform selection, configs (oci-spec types).
//! - [`registry`]: Registry HTTP API v2: auth, pull, push, `config.json` credentials.
//! - [`archive`]: `save`/`load`: docker-archive and OCI layout tars.
//! - [`progress`]: events for Docker-style progress output.
//!
//! It knows nothing of containers or the state database: the engine maps names to digests.
#![forbid(unsafe_code)]

pub mod archive;
pub mod digest;
pub mod error;
pub mod manifest;
pub mod progress;
pub mod reference;
pub mod registry;
pub mod store;

pub use archive::{
    load_archive, load_docker_archive, load_oci_archive, save_docker_archive, save_oci_archive,
    ArchiveError, ArchiveFormat, LoadedImage,
};
pub use error::{Error, ReferenceError, Result};
pub use manifest::{Manifest, PlatformSpec, RawManifest};
pub use oci_spec;
pub use progress::{NoProgress, Progress, ProgressEvent};
pub use reference::Reference;
pub use registry::{
    AuthFile, Credentials, PullOptions, PulledImage, PushOptions, RegistryClient, RegistryConfig,
};
pub use store::{BlobStore, Expected, IngestWriter};
