//! Snapshots: a container's root filesystem made from unpacked layers plus a writable layer.
//!
//! As in containerd (core/snapshots/snapshotter.go), a snapshotter never mounts: `prepare`
//! and `view` return [`Mount`] descriptions that `runtime::rootfs` performs inside the
//! container's mount namespace. Layers are passed as directories, lowest (base) layer first,
//! in the order of the image manifest; the layer store owns them and their refcounts.

pub(crate) mod copy;
mod meta;
pub mod overlay;
pub mod vfs;

#[cfg(test)]
pub(crate) mod conformance;

use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

pub use overlay::{probe, OverlaySnapshotter};
pub use vfs::VfsSnapshotter;

/// One mount to perform, relative to the container's root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Filesystem type: `overlay` or `bind`.
    pub fs_type: String,
    /// What to mount (`overlay` for overlayfs, a directory for a bind mount).
    pub source: PathBuf,
    /// Where, relative to the rootfs; empty = the rootfs itself.
    pub target: PathBuf,
    /// Mount options as `mount(8)` spells them: flags (`ro`, `rbind`) and fs data
    /// (`lowerdir=…,upperdir=…,workdir=…`).
    pub options: Vec<String>,
    /// When set, paths in `options` are relative to this directory and the mount must be
    /// performed with it as the working directory (overlay with many layers: the option
    /// string would not fit in a page with absolute paths — Docker's overlay2 does the same).
    pub cwd: Option<PathBuf>,
}

impl Mount {
    /// The options that are mount flags (`ro`, `bind`, `rbind`, …) rather than fs data.
    pub fn flag_options(&self) -> impl Iterator<Item = &str> {
        self.options
            .iter()
            .map(String::as_str)
            .filter(|o| is_flag(o))
    }

    /// The fs-specific data string (`lowerdir=…,upperdir=…`), comma-joined.
    pub fn data(&self) -> String {
        self.options
            .iter()
            .map(String::as_str)
            .filter(|o| !is_flag(o))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn is_flag(o: &str) -> bool {
    matches!(
        o,
        "ro" | "rw" | "bind" | "rbind" | "nosuid" | "nodev" | "noexec" | "private" | "rprivate"
    )
}

/// Space used by a snapshot's own writable data (not its parents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes allocated on disk.
    pub size: u64,
    /// Distinct inodes.
    pub inodes: u64,
}

/// Whether a snapshot is writable (a container) or a read-only view (an image).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Writable, from `prepare`.
    Active,
    /// Read-only, from `view`.
    View,
}

/// A snapshot driver (overlay, vfs). Keys are plain names (container IDs, usually).
pub trait Snapshotter: Send + Sync {
    /// The driver's name as `docker info` shows it (`overlay2`-like: `overlay`, `vfs`).
    fn name(&self) -> &'static str;

    /// Makes a writable snapshot `key` over `parents` (lowest first) and returns its mounts.
    fn prepare(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>>;

    /// Makes a read-only snapshot `key` over `parents` (lowest first) and returns its mounts.
    fn view(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>>;

    /// The mounts of an existing snapshot.
    fn mounts(&self, key: &str) -> Result<Vec<Mount>>;

    /// The directory holding the snapshot's own changes: the overlay upper dir, or the whole
    /// copied tree for vfs (see [`Snapshotter::upper_is_full_tree`]).
    fn upper_dir(&self, key: &str) -> Result<PathBuf>;

    /// True when [`Snapshotter::upper_dir`] holds the full tree (vfs) rather than only the
    /// changes (overlay); diffs then compare it against the parents.
    fn upper_is_full_tree(&self) -> bool;

    /// The parents `key` was made over, lowest first.
    fn parents(&self, key: &str) -> Result<Vec<PathBuf>>;

    /// Removes a snapshot (it must no longer be mounted).
    fn remove(&self, key: &str) -> Result<()>;

    /// Disk space used by the snapshot's own data.
    fn usage(&self, key: &str) -> Result<Usage>;

    /// The keys of all snapshots, sorted (for garbage collection by reachability).
    fn list(&self) -> Result<Vec<String>>;

    /// Removes what interrupted `prepare`/`view`/`remove` calls left behind (and, for
    /// overlay, links to layers that are gone); for `berth system check`. Carries on past a
    /// failed removal and returns what was removed.
    fn cleanup(&self) -> Result<Vec<PathBuf>>;
}

/// Picks overlay when a trial mount under `root` works, else vfs (as Docker does when
/// overlay is unavailable, e.g. on an overlay root filesystem).
pub fn detect(root: &Path) -> Result<Box<dyn Snapshotter>> {
    match overlay::probe(&root.join("overlay")) {
        Ok(()) => Ok(Box::new(OverlaySnapshotter::new(&root.join("overlay"))?)),
        Err(e) => {
            tracing::info!(error = %e, "overlay unavailable, using the vfs snapshotter");
            Ok(Box::new(VfsSnapshotter::new(&root.join("vfs"))?))
        }
    }
}

/// Refuses keys that are not a single safe path component.
pub(crate) fn check_key(key: &str) -> Result<()> {
    let bad = key.is_empty()
        || key.len() > 200
        || key == "."
        || key == ".."
        || key.starts_with('.')
        || key.contains(['/', '\0', '\n', ',', ':']);
    if bad {
        return Err(StorageError::InvalidKey {
            key: key.to_string(),
        });
    }
    Ok(())
}

/// Disk usage of everything under `dir` (not following symlinks; hard links counted once).
pub(crate) fn usage_of(dir: &Path) -> Result<Usage> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut usage = Usage::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(crate::error::io_err("read directory", &d))?;
        for ent in rd {
            let ent = ent.map_err(crate::error::io_err("read directory", &d))?;
            let path = ent.path();
            let md =
                std::fs::symlink_metadata(&path).map_err(crate::error::io_err("stat", &path))?;
            if seen.insert((md.dev(), md.ino())) {
                usage.inodes += 1;
                usage.size += md.blocks() * 512;
            }
            if md.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_plain_names() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            ".hidden",
            "a,b",
            "a:b",
            &"x".repeat(201),
        ] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        check_key("0123456789abcdef").unwrap();
    }

    #[test]
    fn mount_splits_flags_and_data() {
        let m = Mount {
            fs_type: "overlay".into(),
            source: "overlay".into(),
            target: PathBuf::new(),
            options: vec!["ro".into(), "lowerdir=a:b".into(), "index=off".into()],
            cwd: None,
        };
        assert_eq!(m.flag_options().collect::<Vec<_>>(), ["ro"]);
        assert_eq!(m.data(), "lowerdir=a:b,index=off");
    }
}
