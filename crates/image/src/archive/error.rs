//! Errors of `save`/`load`: every variant names the archive entry (or image) it failed on.

use crate::error::ReferenceError;

/// Why an archive could not be written or read. On a load error the store is as before.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive entry {entry:?}: unsafe path (absolute or containing '..'); refused")]
    UnsafePath { entry: String },
    #[error("archive entry {entry:?}: link target {target:?} leaves the archive; refused")]
    UnsafeLink { entry: String, target: String },
    #[error("archive entry {entry:?}: {source}")]
    Blob {
        entry: String,
        #[source]
        source: crate::Error,
    },
    #[error("archive entry {entry:?}: read failed (truncated or corrupt archive?): {source}")]
    Read {
        entry: String,
        #[source]
        source: std::io::Error,
    },
    #[error("archive entry {entry:?} is missing (referenced by {referenced_by})")]
    MissingEntry {
        entry: String,
        referenced_by: String,
    },
    #[error("archive entry {entry:?}: {reason}")]
    Invalid { entry: String, reason: String },
    #[error("archive entry {entry:?}: larger than {limit} bytes; refused")]
    TooLarge { entry: String, limit: u64 },
    #[error("archive entry {entry:?}: layer content has diff ID {actual}, the image config says {expected}")]
    DiffIdMismatch {
        entry: String,
        expected: String,
        actual: String,
    },
    #[error("archive entry {entry:?}: invalid image name {tag:?}: {source}")]
    InvalidName {
        entry: String,
        tag: String,
        #[source]
        source: ReferenceError,
    },
    #[error("not an image archive: {reason}")]
    UnknownFormat { reason: String },
    #[error("image {image}: {source}")]
    Image {
        image: String,
        #[source]
        source: crate::Error,
    },
    #[error("image {image}: {reason}")]
    Unsupported { image: String, reason: String },
    #[error("build {what}: {reason}")]
    Build { what: String, reason: String },
    #[error("write archive ({what}): {source}")]
    Write {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::Error),
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;
