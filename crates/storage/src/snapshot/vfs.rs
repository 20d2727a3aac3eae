//! The vfs snapshotter: every snapshot is a full copy of its layers (whiteouts applied),
//! exposed with a bind mount. Slow and large, but works on any filesystem — Docker's `vfs`.

use std::path::{Path, PathBuf};

use super::{copy, meta, usage_of, Kind, Mount, Snapshotter, Usage};
use crate::error::{io_err, Result};

/// Copying snapshots.
#[derive(Debug)]
pub struct VfsSnapshotter {
    root: PathBuf,
}

impl VfsSnapshotter {
    /// Opens (creating) a vfs snapshotter rooted at `root`.
    pub fn new(root: &Path) -> Result<Self> {
        let snaps = root.join("snapshots");
        std::fs::create_dir_all(&snaps).map_err(io_err("create directory", &snaps))?;
        Ok(VfsSnapshotter {
            root: root.to_path_buf(),
        })
    }

    fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    fn create(&self, key: &str, kind: Kind, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        super::check_key(key)?;
        meta::create_atomically(&self.snapshots(), key, |tmp| {
            let fs_dir = tmp.join("fs");
            std::fs::create_dir(&fs_dir).map_err(io_err("create directory", &fs_dir))?;
            for p in parents {
                copy::apply_layer(p, &fs_dir)?;
            }
            meta::write(tmp, kind, parents)
        })?;
        Ok(self.mounts_for(key, kind))
    }

    fn mounts_for(&self, key: &str, kind: Kind) -> Vec<Mount> {
        let ro = if kind == Kind::View { "ro" } else { "rw" };
        vec![Mount {
            fs_type: "bind".into(),
            source: self.snapshots().join(key).join("fs"),
            target: PathBuf::new(),
            options: vec!["rbind".into(), ro.into()],
            cwd: None,
        }]
    }
}

impl Snapshotter for VfsSnapshotter {
    fn name(&self) -> &'static str {
        "vfs"
    }

    fn prepare(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        self.create(key, Kind::Active, parents)
    }

    fn view(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        self.create(key, Kind::View, parents)
    }

    fn mounts(&self, key: &str) -> Result<Vec<Mount>> {
        super::check_key(key)?;
        let (kind, _) = meta::read(&self.snapshots().join(key), key)?;
        Ok(self.mounts_for(key, kind))
    }

    fn upper_dir(&self, key: &str) -> Result<PathBuf> {
        super::check_key(key)?;
        meta::read(&self.snapshots().join(key), key)?;
        Ok(self.snapshots().join(key).join("fs"))
    }

    fn upper_is_full_tree(&self) -> bool {
        true
    }

    fn parents(&self, key: &str) -> Result<Vec<PathBuf>> {
        super::check_key(key)?;
        Ok(meta::read(&self.snapshots().join(key), key)?.1)
    }

    fn remove(&self, key: &str) -> Result<()> {
        super::check_key(key)?;
        meta::remove(&self.snapshots(), key)
    }

    fn usage(&self, key: &str) -> Result<Usage> {
        let dir = self.upper_dir(key)?;
        usage_of(&dir)
    }

    fn list(&self) -> Result<Vec<String>> {
        meta::list(&self.snapshots())
    }

    fn cleanup(&self) -> Result<Vec<PathBuf>> {
        meta::cleanup(&self.snapshots())
    }
}
