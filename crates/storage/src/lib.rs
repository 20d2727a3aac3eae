//! berth `storage` crate: layers unpacked safely into their own directories, snapshots
//! (overlay, with a copying vfs fallback) described as mounts for `runtime::rootfs`, and diffs
//! of a container's writable layer as OCI layer tars (DESIGN.md §1, §4; STYLE.md rule 11).
//!
//! | module | concern |
//! |---|---|
//! | [`unpack`] | a layer tar (plain/gzip/zstd) → `<dir>` via `<dir>.tmp-*`; hostile entries confined with `openat2`; `.wh.*` → overlay whiteouts; byte/entry limits |
//! | [`snapshot`] | the [`Snapshotter`] trait; [`OverlaySnapshotter`] (short `l/` links, trial-mount probe) and [`VfsSnapshotter`]; [`detect`] picks one |
//! | [`diff`] | a writable layer → OCI layer tar and `docker diff` changes; `export` of a tree |
//! | [`copy_up`] | a new volume filled from the image's content at its destination (Docker's copy-up) |
//! | [`whiteout`] | the tar and overlay spellings of deletions |
//! | [`error`] | [`StorageError`], naming the layer, entry, key or path of every failure |
//!
//! A typical life: the image crate streams a verified blob into [`unpack_layer`] (layer dirs
//! under `/var/lib/berth/layers/`), the engine calls [`Snapshotter::prepare`] with the image's
//! layer dirs and hands the returned [`Mount`]s to the runtime, and `commit` writes
//! [`diff::snapshot_layer`] into the content store.
#![forbid(unsafe_code)]

pub mod copy_up;
pub mod diff;
pub mod error;
mod fsutil;
pub mod snapshot;
pub mod unpack;
pub mod whiteout;

#[cfg(test)]
pub(crate) mod testutil;

pub use copy_up::copy_up;
pub use diff::{Change, ChangeKind, UpperKind};
pub use error::{Result, StorageError};
pub use snapshot::{detect, Mount, OverlaySnapshotter, Snapshotter, Usage, VfsSnapshotter};
pub use unpack::{remove_interrupted, unpack_layer, Compression, UnpackOptions, UnpackStats};
