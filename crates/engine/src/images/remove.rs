//! `rmi` and `image prune`: names first, then the image when its last name goes, then
//! (after the DB commit) the layer directories and blobs nothing else references.

use crate::lock::{Held, Lock};
use image::Reference;

use super::ImageService;
use crate::db::DeletedImage;
use crate::error::{EngineError, Result};

/// One line of Docker's `rmi` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveLine {
    /// `Untagged: busybox:latest` (familiar name).
    Untagged(String),
    /// `Deleted: sha256:…` (the image id, then the chain ids of removed layers).
    Deleted(String),
}

/// What `image prune` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub lines: Vec<RemoveLine>,
    /// Bytes of layer content freed.
    pub reclaimed: u64,
}

impl ImageService {
    /// Docker's `rmi NAME|ID`: untag a name (deleting the image when no tag is left), or
    /// delete an image by id (refused without `force` when several repositories name it).
    pub fn remove(&mut self, name_or_id: &str, force: bool) -> Result<Vec<RemoveLine>> {
        let image_id = self.resolve(name_or_id).unwrap_or_default();
        let lines = self.remove_locked(name_or_id, force)?;
        let mut deleted = false;
        for l in &lines {
            match l {
                RemoveLine::Untagged(name) => self.emit_image("untag", &image_id, name),
                // The first `Deleted` is the image; the rest are its layers.
                RemoveLine::Deleted(id) if !deleted => {
                    deleted = true;
                    self.emit_image("delete", id, "");
                }
                RemoveLine::Deleted(_) => {}
            }
        }
        Ok(lines)
    }

    fn remove_locked(&mut self, name_or_id: &str, force: bool) -> Result<Vec<RemoveLine>> {
        let _lock = Held::exclusive(&self.root, Lock::Images)?;
        let id = self.resolve(name_or_id)?;
        let names = self.db.names_of(&id)?;
        let by_name = Reference::parse(name_or_id)
            .ok()
            .map(|r| r.to_string())
            .filter(|n| names.contains(n));
        let users = self.db.containers_of_image(&id)?;
        if let (Some(user), false) = (users.first(), force) {
            return Err(EngineError::ContainerConflict(match &by_name {
                Some(_) => format!(
                    "conflict: unable to remove repository reference \"{name_or_id}\" (must force) - container {} is using its referenced image {}",
                    short_hex(user),
                    short(&id)
                ),
                None => format!(
                    "conflict: unable to delete {} (must be forced) - image is being used by stopped container {}",
                    short(&id),
                    short_hex(user)
                ),
            }));
        }
        let mut lines = Vec::new();
        match by_name {
            Some(name) => {
                self.db.remove_name(&name)?;
                lines.push(RemoveLine::Untagged(familiar(&name)));
                let rest = self.db.names_of(&id)?;
                if rest.iter().any(|n| !n.contains('@')) {
                    return Ok(lines);
                }
                // Only digest references left: they go with the image, as in Docker.
                for n in rest {
                    lines.push(RemoveLine::Untagged(familiar(&n)));
                }
            }
            None => {
                let repos: std::collections::BTreeSet<String> = names
                    .iter()
                    .filter_map(|n| Reference::parse(n).ok().map(|r| r.name()))
                    .collect();
                if repos.len() > 1 && !force {
                    return Err(EngineError::Conflict {
                        short_id: short(&id),
                    });
                }
                for n in &names {
                    lines.push(RemoveLine::Untagged(familiar(n)));
                }
            }
        }
        if !users.is_empty() {
            // Forced while containers use it: the names go, the image stays for them
            // (its layers are their root filesystems).
            for n in self.db.names_of(&id)? {
                self.db.remove_name(&n)?;
                if !lines.contains(&RemoveLine::Untagged(familiar(&n))) {
                    lines.push(RemoveLine::Untagged(familiar(&n)));
                }
            }
            return Ok(lines);
        }
        let (deleted, _) = self.delete(&id)?;
        lines.extend(deleted);
        Ok(lines)
    }

    /// Delete an image's rows, then the files nothing references any more. Returns the
    /// `Deleted:` lines and the bytes of layer content freed. Removal of files carries on
    /// past a failure (logged): the rows are already gone and `prune` tries again.
    fn delete(&mut self, id: &str) -> Result<(Vec<RemoveLine>, u64)> {
        let DeletedImage { layers, blobs } = self.db.delete_image(id)?;
        let mut lines = vec![RemoveLine::Deleted(id.to_string())];
        let mut freed = 0;
        for l in layers.iter().rev() {
            let dir = self.root.dir().join(&l.dir);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!("remove layer directory {}: {e}", dir.display());
                }
            }
            freed += l.size;
            if l.chain_id != id {
                lines.push(RemoveLine::Deleted(l.chain_id.clone()));
            }
        }
        for b in blobs {
            let r = image::digest::parse(&b).and_then(|d| self.store.delete(&d));
            if let Err(e) = r {
                tracing::warn!("remove blob {b}: {e}");
            }
        }
        Ok((lines, freed))
    }

    /// Docker's `image prune`: images without any name (with `all`, every image), except
    /// those a container was made from.
    pub fn prune(&mut self, all: bool) -> Result<PruneReport> {
        let _lock = Held::exclusive(&self.root, Lock::Images)?;
        let mut report = PruneReport::default();
        for rec in self.db.images()? {
            let names = self.db.names_of(&rec.id)?;
            if !all && !names.is_empty() {
                continue;
            }
            if !self.db.containers_of_image(&rec.id)?.is_empty() {
                // A container's root filesystem: never pruned.
                continue;
            }
            for n in &names {
                self.db.remove_name(n)?;
                report.lines.push(RemoveLine::Untagged(familiar(n)));
            }
            let (lines, freed) = self.delete(&rec.id)?;
            report.lines.extend(lines);
            report.reclaimed += freed;
        }
        let _ = self.sweep_orphans();
        Ok(report)
    }
}

impl ImageService {
    /// Remove blobs and layer dirs no image references: what a pull or import killed
    /// between its file writes and its DB transaction left. Safe only under the store lock
    /// (every writer takes it). Failures are logged and skipped. Returns what went.
    fn sweep_orphans(&self) -> Vec<String> {
        let mut gone = Vec::new();
        let (blobs, dirs) = match self.db.referenced() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("orphan sweep: {e}");
                return gone;
            }
        };
        for d in self.store.list().unwrap_or_default() {
            if !blobs.contains(&d.to_string()) {
                match self.store.delete(&d) {
                    Ok(()) => gone.push(format!("blob {d} of no image: removed")),
                    Err(e) => tracing::warn!("orphan sweep: remove blob {d}: {e}"),
                }
            }
        }
        let Ok(rd) = std::fs::read_dir(self.root.layers_dir()) else {
            return gone;
        };
        for entry in rd.flatten() {
            let rel = format!("layers/{}", entry.file_name().to_string_lossy());
            if !dirs.contains(&rel) {
                match std::fs::remove_dir_all(entry.path()) {
                    Ok(()) => gone.push(format!("layer directory {rel} of no image: removed")),
                    Err(e) => {
                        tracing::warn!("orphan sweep: remove {}: {e}", entry.path().display())
                    }
                }
            }
        }
        gone
    }

    /// For `system check`: under the store lock, clear interrupted downloads and unpacks
    /// and remove what no image references. Returns what went.
    pub(crate) fn sweep(&self) -> Result<Vec<String>> {
        let _lock = self.lock_for_writing()?;
        Ok(self.sweep_orphans())
    }
}

/// The 12-digit form of a container id.
fn short_hex(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn familiar(full: &str) -> String {
    Reference::parse(full)
        .map(|r| r.familiar())
        .unwrap_or_else(|_| full.to_string())
}

/// Docker's 12-character short id.
pub(crate) fn short(id: &str) -> String {
    id.strip_prefix("sha256:")
        .unwrap_or(id)
        .chars()
        .take(12)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImportOptions, Root};

    fn rootfs_tar(dir: &std::path::Path, marker: &str) -> Vec<u8> {
        let fs_dir = dir.join(format!("rootfs-{marker}"));
        std::fs::create_dir_all(fs_dir.join("bin")).unwrap();
        std::fs::write(fs_dir.join("bin/marker"), marker).unwrap();
        let out = std::process::Command::new("tar")
            .arg("-C")
            .arg(&fs_dir)
            .args(["-cf", "-", "."])
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    }

    #[test]
    fn import_tag_remove_keeps_then_frees_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut svc = ImageService::open(Root::new(dir.path().join("root"))).unwrap();
        let opts = ImportOptions {
            reference: Some("busybox".into()),
            changes: vec![r#"CMD ["/bin/sh"]"#.into()],
            source_name: "-".into(),
            ..Default::default()
        };
        let id = svc
            .import(&rootfs_tar(dir.path(), "one")[..], &opts)
            .unwrap();
        assert_eq!(svc.resolve("busybox:latest").unwrap(), id);
        assert_eq!(svc.resolve(&id[7..19]).unwrap(), id);
        let dirs = svc.layer_dirs("busybox").unwrap();
        let cfg = svc.config("busybox").unwrap();
        let cmd = cfg.config().as_ref().and_then(|c| c.cmd().clone());
        assert_eq!(cmd, Some(vec!["/bin/sh".to_string()]));
        assert_eq!(
            std::fs::read_to_string(dirs[0].join("bin/marker")).unwrap(),
            "one"
        );
        let inspect = svc.inspect("busybox").unwrap();
        assert_eq!(inspect["RepoTags"], serde_json::json!(["busybox:latest"]));
        assert_eq!(inspect["Config"]["Cmd"], serde_json::json!(["/bin/sh"]));

        svc.tag("busybox", "other:1").unwrap();
        assert!(matches!(
            svc.remove(&id, false),
            Err(EngineError::Conflict { .. })
        ));
        assert_eq!(
            svc.remove("other:1", false).unwrap(),
            [RemoveLine::Untagged("other:1".into())]
        );
        assert!(dirs[0].exists());
        let lines = svc.remove("busybox", false).unwrap();
        assert_eq!(lines[0], RemoveLine::Untagged("busybox:latest".into()));
        assert_eq!(lines[1], RemoveLine::Deleted(id.clone()));
        assert!(!dirs[0].exists());
        assert!(svc.store().list().unwrap().is_empty());
        assert!(matches!(
            svc.resolve("busybox"),
            Err(EngineError::NoSuchImage { .. })
        ));
        assert!(matches!(
            svc.resolve("Bad!"),
            Err(EngineError::Reference(_))
        ));
    }

    #[test]
    fn prune_takes_dangling_then_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut svc = ImageService::open(Root::new(dir.path().join("root"))).unwrap();
        let named = ImportOptions {
            reference: Some("a".into()),
            source_name: "-".into(),
            ..Default::default()
        };
        svc.import(&rootfs_tar(dir.path(), "a")[..], &named)
            .unwrap();
        let anon = ImportOptions {
            source_name: "-".into(),
            ..Default::default()
        };
        let dangling = svc.import(&rootfs_tar(dir.path(), "b")[..], &anon).unwrap();
        let r = svc.prune(false).unwrap();
        assert_eq!(r.lines[0], RemoveLine::Deleted(dangling));
        assert!(r.reclaimed > 0);
        assert_eq!(svc.list().unwrap().len(), 1);
        svc.prune(true).unwrap();
        assert!(svc.list().unwrap().is_empty());
        // Leftovers of a pull killed before its DB transaction are swept too.
        std::fs::create_dir(svc.root().layers_dir().join("deadbeef")).unwrap();
        svc.store().put(b"orphan").unwrap();
        svc.prune(false).unwrap();
        assert_eq!(
            std::fs::read_dir(svc.root().layers_dir()).unwrap().count(),
            0
        );
        assert!(svc.store().list().unwrap().is_empty());
    }
}
