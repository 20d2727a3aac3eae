//! `diff`: the changes of a container's writable layer against its image
//! (`storage::diff::snapshot_changes`), `A`/`C`/`D` sorted by path as Docker prints them.
//!
//! The runtime creates missing mountpoints (`/etc/hostname`, `/etc/hosts`,
//! `/etc/resolv.conf`, volume destinations) in the writable layer; Docker keeps those in
//! its hidden init layer, so they are left out here too, with the directory changes that
//! only they caused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use storage::{Change, ChangeKind};

use crate::error::{EngineError, Result};
use crate::Engine;

/// Drops the additions of mountpoints (and of directories made only to hold them), and
/// the `C` of directories whose only changes were those. `changes` is sorted by path.
/// Returns what is kept and the paths left out.
pub(crate) fn hide_mountpoints(
    changes: Vec<Change>,
    mountpoints: &BTreeSet<PathBuf>,
) -> (Vec<Change>, Vec<PathBuf>) {
    let holds_mountpoint = |p: &Path| mountpoints.iter().any(|m| m.starts_with(p) && m != p);
    let mut kept: Vec<Change> = Vec::with_capacity(changes.len());
    let mut dropped: Vec<PathBuf> = Vec::new();
    // Children come right after their parent in path order: walking backwards, a path's
    // descendants are seen first, and the last kept one is its nearest kept descendant.
    for c in changes.into_iter().rev() {
        let is_mp = mountpoints.contains(&c.path);
        if c.kind == ChangeKind::Added && is_mp {
            dropped.push(c.path);
            continue;
        }
        if c.kind != ChangeKind::Deleted && holds_mountpoint(&c.path) {
            let kept_below = kept
                .last()
                .is_some_and(|k| k.path.starts_with(&c.path) && k.path != c.path);
            let dropped_below = dropped.iter().any(|d| d.starts_with(&c.path));
            if dropped_below && !kept_below {
                dropped.push(c.path);
                continue;
            }
        }
        kept.push(c);
    }
    kept.reverse();
    (kept, dropped)
}

impl Engine {
    /// The container's changes, sorted by path.
    pub fn container_changes(&mut self, id_or_name: &str) -> Result<Vec<Change>> {
        let c = self.find_container(id_or_name)?;
        let sn = self.snapshotter()?;
        let all = storage::diff::snapshot_changes(sn, &c.id).map_err(|e| EngineError::Storage {
            layer: format!("container {}", c.id),
            source: e,
        })?;
        Ok(hide_mountpoints(all, &self.mountpoints(&c.id)).0)
    }

    /// The paths `diff` leaves out of a container's changes (for `commit`).
    pub(crate) fn runtime_made_paths(&self, id: &str) -> Result<Vec<PathBuf>> {
        let sn = self.snapshotter()?;
        let all = storage::diff::snapshot_changes(sn, id).map_err(|e| EngineError::Storage {
            layer: format!("container {id}"),
            source: e,
        })?;
        Ok(hide_mountpoints(all, &self.mountpoints(id)).1)
    }

    /// The mount destinations in the container's config.json.
    pub(crate) fn mountpoints(&self, id: &str) -> BTreeSet<PathBuf> {
        let path = self.root().container_dir(id).join("config.json");
        let spec: serde_json::Value = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        spec["mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["destination"].as_str())
            .map(PathBuf::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(kind: ChangeKind, p: &str) -> Change {
        Change {
            path: p.into(),
            kind,
        }
    }

    #[test]
    fn runtime_mountpoints_are_not_changes() {
        use ChangeKind::*;
        let mps: BTreeSet<PathBuf> = ["/etc/hosts", "/etc/hostname", "/data/v"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let all = vec![
            ch(Modified, "/etc"),
            ch(Added, "/etc/hostname"),
            ch(Added, "/etc/hosts"),
            ch(Added, "/data"),
            ch(Added, "/data/v"),
            ch(Modified, "/tmp"),
            ch(Added, "/tmp/a"),
        ];
        let (kept, dropped) = hide_mountpoints(all, &mps);
        assert_eq!(kept, vec![ch(Modified, "/tmp"), ch(Added, "/tmp/a")]);
        assert_eq!(dropped.len(), 5);
        // A real change beside a mountpoint keeps its directory.
        let all = vec![
            ch(Modified, "/etc"),
            ch(Added, "/etc/hosts"),
            ch(Modified, "/etc/passwd"),
        ];
        assert_eq!(
            hide_mountpoints(all, &mps).0,
            vec![ch(Modified, "/etc"), ch(Modified, "/etc/passwd")]
        );
    }
}
