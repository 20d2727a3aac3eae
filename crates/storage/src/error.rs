//! The storage crate's one error type. Every variant names the object it failed on (the layer
//! and entry path for unpacking, the snapshot key or directory for snapshots and diffs).

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in `storage`.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The layer stream could not be read (truncated download, bad compression, corrupt tar).
    #[error("layer {layer}: reading the layer archive failed (is the blob complete and a tar?)")]
    ReadArchive {
        layer: String,
        #[source]
        source: io::Error,
    },

    /// The stream is compressed with something berth does not decode.
    #[error("layer {layer}: unsupported layer compression {format} (berth reads plain tar, gzip and zstd)")]
    UnsupportedCompression { layer: String, format: &'static str },

    /// One step of creating an entry failed on the filesystem.
    #[error("layer {layer}: entry {entry:?}: {op} failed")]
    Entry {
        layer: String,
        entry: PathBuf,
        op: &'static str,
        #[source]
        source: io::Error,
    },

    /// The entry's name climbs out of the layer root (`../`).
    #[error(
        "layer {layer}: entry {entry:?} points outside the layer root; refusing the hostile layer"
    )]
    PathEscapes { layer: String, entry: PathBuf },

    /// The entry would be written through a symbolic link (or under a non-directory).
    #[error("layer {layer}: entry {entry:?} lies under a symbolic link or a non-directory in the layer; refusing the hostile layer")]
    ThroughSymlink { layer: String, entry: PathBuf },

    /// A hard link names a target outside the layer or one not (yet) in it.
    #[error("layer {layer}: hard link {entry:?} -> {target:?} points outside the layer or at nothing in it")]
    LinkEscapes {
        layer: String,
        entry: PathBuf,
        target: PathBuf,
    },

    /// Entry type berth does not unpack (e.g. a socket or an unknown type byte).
    #[error("layer {layer}: entry {entry:?} has unsupported tar entry type {kind}")]
    UnsupportedEntry {
        layer: String,
        entry: PathBuf,
        kind: String,
    },

    /// The layer unpacks to more bytes than allowed.
    #[error("layer {layer}: unpacking entry {entry:?} would exceed the limit of {limit} bytes (raise UnpackOptions::max_bytes if the image is trusted)")]
    TooManyBytes {
        layer: String,
        entry: PathBuf,
        limit: u64,
    },

    /// The layer holds more entries than allowed.
    #[error("layer {layer}: more than {limit} entries (at {entry:?}; raise UnpackOptions::max_entries if the image is trusted)")]
    TooManyEntries {
        layer: String,
        entry: PathBuf,
        limit: u64,
    },

    /// The destination layer directory already exists (the layer is unpacked already).
    #[error("layer directory {path:?} already exists")]
    LayerExists { path: PathBuf },

    /// A filesystem operation outside a layer entry failed.
    #[error("{op} {path:?} failed")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A snapshot key that is not a plain file name.
    #[error("invalid snapshot key {key:?}: use a non-empty name without '/' (at most 200 bytes)")]
    InvalidKey { key: String },

    /// `prepare`/`view` of a key that is in use.
    #[error("snapshot {key:?} already exists")]
    SnapshotExists { key: String },

    /// A key that was never prepared (or was removed).
    #[error("no such snapshot {key:?}")]
    SnapshotNotFound { key: String },

    /// The overlay trial mount failed.
    #[error(
        "overlayfs is not usable under {root:?} (trial mount failed; use the vfs snapshotter)"
    )]
    OverlayUnsupported {
        root: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The overlay mount options do not fit in a page even with short links.
    #[error("overlay mount options for snapshot {key:?} are {len} bytes, more than the {limit}-byte limit ({layers} layers)")]
    MountOptionsTooLong {
        key: String,
        len: usize,
        limit: usize,
        layers: usize,
    },

    /// Writing the diff archive failed.
    #[error("writing the diff of {upper:?}: entry {entry:?} failed")]
    WriteDiff {
        upper: PathBuf,
        entry: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Shorthand used across the crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Builds a closure mapping an `io::Error` to [`StorageError::Io`] for `op` on `path`.
pub(crate) fn io_err<P: Into<PathBuf>>(
    op: &'static str,
    path: P,
) -> impl FnOnce(io::Error) -> StorageError {
    let path = path.into();
    move |source| StorageError::Io { op, path, source }
}
