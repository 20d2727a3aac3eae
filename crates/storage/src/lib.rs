//! berth `storage` crate: layers unpacked safely into their own directories, snapshots
//! (overlay, with a copying vfs fallback) described as mounts for `runtime::rootfs`, and diffs
//! of a container's writable layer as OCI layer tars (DESIGN.md §1, §4; STYLE.md rule 11).
#![forbid(unsafe_code)]

pub mod error;
mod fsutil;
pub mod snapshot;
pub mod diff;
pub mod unpack;
pub mod whiteout;

#[cfg(test)]
pub(crate) mod testutil;

pub use error::{Result, StorageError};
pub use unpack::{remove_interrupted, unpack_layer, Compression, UnpackOptions, UnpackStats};
