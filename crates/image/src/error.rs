//! Errors of the `image` crate. Every variant names the object it failed on: the image
//! reference, the blob digest, the registry, or the file.

use std::path::PathBuf;

/// A reference that does not parse. The messages are Docker's own
/// (github.com/distribution/reference, errors.go and normalize.go), because scripts match them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat { reference: String },
    #[error("invalid reference format: repository name ({repository}) must be lowercase")]
    ContainsUppercase {
        reference: String,
        repository: String,
    },
    #[error("repository name must have at least one component")]
    NameEmpty,
    #[error("repository name must not be more than 255 characters")]
    NameTooLong { reference: String },
    #[error("invalid repository name ({reference}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier { reference: String },
    #[error("unsupported digest algorithm")]
    DigestUnsupported { reference: String },
    #[error("invalid checksum digest length")]
    DigestLength { reference: String },
    #[error("invalid checksum digest format")]
    DigestFormat { reference: String },
}

/// Everything else that can fail in the image crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Reference(#[from] ReferenceError),

    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("blob {digest} not found in the store (pull the image again)")]
    BlobNotFound { digest: String },
    #[error("unsupported digest {digest}: only sha256 is supported")]
    UnsupportedDigest { digest: String },
    #[error("invalid digest {digest}: {reason}")]
    InvalidDigest { digest: String, reason: String },
    #[error("blob {expected}: content has digest {actual}; refused (the source sent the wrong or corrupted data)")]
    DigestMismatch { expected: String, actual: String },
    #[error("blob {digest}: expected {expected} bytes, got {actual}; refused (truncated or oversized content)")]
    SizeMismatch {
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error("blob {digest} in the store is corrupt: its content hashes to {actual} (remove it and pull again)")]
    BlobCorrupt { digest: String, actual: String },

    #[error("manifest {what}: {reason}")]
    ManifestInvalid { what: String, reason: String },
    #[error("manifest {what}: unsupported media type {media_type}")]
    UnsupportedMediaType { what: String, media_type: String },
    #[error("{reference}: image manifest schema 1 is deprecated and not supported; push the image again with a current client")]
    SchemaV1 { reference: String },
    #[error(
        "no matching manifest for {platform} in the manifest list entries (available: {available})"
    )]
    NoMatchingPlatform { platform: String, available: String },
    #[error("invalid platform {value:?}: expected os/arch[/variant], e.g. linux/arm64/v8")]
    InvalidPlatform { value: String },
    #[error("image config {digest}: {reason}")]
    ConfigInvalid { digest: String, reason: String },
    #[error("serialize {what}: {source}")]
    Serialize {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("registry {registry}: cannot reach {url}: {reason} (is the registry up? is it HTTPS or plain HTTP (--insecure-registry)?)")]
    Transport {
        registry: String,
        url: String,
        reason: String,
    },
    #[error("registry {registry}: {method} {url}: status {status}: {message}")]
    RegistryStatus {
        registry: String,
        method: &'static str,
        url: String,
        status: u16,
        message: String,
    },
    #[error("pull access denied for {repository}, repository does not exist or may require 'docker login': {message}")]
    PullDenied { repository: String, message: String },
    #[error("push to {repository} denied: requested access to the resource is denied ({message}); log in with 'berth login {registry}'")]
    PushDenied {
        registry: String,
        repository: String,
        message: String,
    },
    #[error("manifest for {reference} not found: manifest unknown")]
    ManifestUnknown { reference: String },
    #[error("registry {registry}: unusable authentication challenge {header:?}")]
    BadChallenge { registry: String, header: String },
    #[error("registry {registry}: token server {realm} answered status {status}: {message}")]
    TokenRequest {
        registry: String,
        realm: String,
        status: u16,
        message: String,
    },
    #[error("registry {registry}: login failed: {message}")]
    LoginFailed { registry: String, message: String },
    #[error("registry {registry}: {what}: {reason}")]
    RegistryProtocol {
        registry: String,
        what: String,
        reason: String,
    },
    #[error("blob {digest} from {registry}: gave up after {attempts} attempts: {source}")]
    DownloadFailed {
        digest: String,
        registry: String,
        attempts: u32,
        #[source]
        source: Box<Error>,
    },
    #[error("push {reference}: registry stored the manifest as {actual}, expected {expected}")]
    PushDigestMismatch {
        reference: String,
        expected: String,
        actual: String,
    },
    #[error("a download worker for {reference} panicked")]
    WorkerPanicked { reference: String },

    #[error("credentials file {path}: {reason}")]
    AuthConfig { path: PathBuf, reason: String },
    #[error("registry config {path}: {reason}")]
    RegistryConfig { path: PathBuf, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
