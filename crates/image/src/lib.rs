//! berth `image` crate: image references, the content-addressed blob store, manifests and
//! indexes (OCI and Docker schema 2), and the registry client (DESIGN.md §2).
//!
//! It knows nothing of containers or the state database: the engine maps names to digests.
#![forbid(unsafe_code)]

pub mod error;
pub mod reference;

pub use error::{Error, ReferenceError, Result};
pub use oci_spec;
pub use reference::Reference;
pub mod digest;
pub mod manifest;
pub mod store;

pub use store::{BlobStore, Expected, IngestWriter};
pub mod progress;
pub mod registry;

pub use manifest::{Manifest, PlatformSpec, RawManifest};
pub use progress::{NoProgress, Progress, ProgressEvent};
pub use registry::{
    AuthFile, Credentials, PullOptions, PulledImage, PushOptions, RegistryClient, RegistryConfig,
};
