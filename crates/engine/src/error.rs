//! Errors of the engine. Each variant names the object it failed on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Docker's wording, which scripts match: `No such image: busybox:nope`.
    #[error("No such image: {name}")]
    NoSuchImage { name: String },
    /// Docker's push of a name that is not here.
    #[error("An image does not exist locally with the tag: {name}")]
    NoLocalTag { name: String },
    /// A name that does not parse (Docker's wording from the reference package).
    #[error(transparent)]
    Reference(#[from] image::ReferenceError),
    #[error(transparent)]
    Image(#[from] image::Error),
    #[error("layer {layer}: {source}")]
    Storage {
        layer: String,
        #[source]
        source: storage::StorageError,
    },
    #[error("state database {path}: {source}")]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state database {path}: schema version {found} is newer than this berth knows ({known}); upgrade berth")]
    DbTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("state database {path}: corrupt row: {reason} (run 'berth system check')")]
    DbCorrupt { path: PathBuf, reason: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Docker: `conflict: unable to delete 0123456789ab (must be forced) - image is referenced in multiple repositories`.
    #[error("conflict: unable to delete {short_id} (must be forced) - image is referenced in multiple repositories")]
    Conflict { short_id: String },
    #[error("image {image}: config: {reason}")]
    BadConfig { image: String, reason: String },
    #[error("invalid --change {change:?}: {reason} (supported: CMD, ENTRYPOINT, ENV, EXPOSE, USER, WORKDIR, LABEL, VOLUME, STOPSIGNAL)")]
    BadChange { change: String, reason: String },
    #[error("{op}: {reason}")]
    Archive { op: &'static str, reason: String },
    /// Docker: `Conflict. The container name "/web" is already in use by container "…". You have to remove (or rename) that container to be able to reuse that name.`
    #[error("Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name.")]
    NameInUse { name: String, id: String },
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    #[error("No such volume: {0}")]
    NoSuchVolume(String),
    /// Docker's conflicts, worded by the caller (`You cannot remove a running container …`).
    #[error("{0}")]
    ContainerConflict(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error(transparent)]
    Spec(#[from] crate::containers::spec::SpecError),
    /// The container could not be started; `exit` is Docker's CLI exit code (125/126/127).
    #[error("{message}")]
    Start { message: String, exit: u8 },
    #[error("container {id}: {reason}")]
    Container { id: String, reason: String },
    /// `cp`'s failures, in Docker's words.
    #[error(transparent)]
    Copy(#[from] crate::containers::copy::CopyError),
    #[error("import {source_name}: {reason}")]
    Import { source_name: String, reason: String },
    #[error("network {0} not found")]
    NoSuchNetwork(String),
    /// A network operation failed (netlink, nftables, sysctl, IPAM), Docker's words where
    /// Docker has some.
    #[error("{0}")]
    Network(String),
}

impl EngineError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EngineError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
