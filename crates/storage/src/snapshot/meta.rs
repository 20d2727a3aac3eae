//! The `meta` file of a snapshot: its kind and its parents, one per line, lowest first.
//! Snapshot directories are built under a temporary name and renamed into place, so a
//! snapshot directory that exists always has a complete meta file.

use std::io::Write;
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};

use super::Kind;
use crate::error::{io_err, Result, StorageError};

pub(crate) const META: &str = "meta";

pub(crate) fn write(dir: &Path, kind: Kind, parents: &[PathBuf]) -> Result<()> {
    let mut text = String::from(match kind {
        Kind::Active => "active\n",
        Kind::View => "view\n",
    });
    for p in parents {
        let s = p
            .to_str()
            .filter(|s| !s.contains('\n') && p.is_absolute())
            .ok_or_else(|| StorageError::Io {
                op: "use parent layer",
                path: p.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "layer paths must be absolute UTF-8 without newlines",
                ),
            })?;
        text.push_str(s);
        text.push('\n');
    }
    let path = dir.join(META);
    let mut f = std::fs::File::create(&path).map_err(io_err("create", &path))?;
    // Not fsynced (nor is the rename below): a snapshot is a container's writable layer,
    // whose own writes are never synced either, and on a journaling filesystem (ext4's
    // ordered mode) the rename reaches the disk before any later write that records the
    // snapshot (the database row). Two fsyncs here cost ~3 ms of every `run`.
    f.write_all(text.as_bytes())
        .map_err(io_err("write", &path))?;
    Ok(())
}

pub(crate) fn read(dir: &Path, key: &str) -> Result<(Kind, Vec<PathBuf>)> {
    let path = dir.join(META);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StorageError::SnapshotNotFound {
                key: key.to_string(),
            })
        }
        Err(e) => return Err(io_err("read", &path)(e)),
    };
    let mut lines = text.lines();
    let kind = match lines.next() {
        Some("view") => Kind::View,
        Some("active") => Kind::Active,
        _ => {
            return Err(io_err("parse snapshot metadata", &path)(
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "first line must be 'active' or 'view'",
                ),
            ))
        }
    };
    Ok((kind, lines.map(PathBuf::from).collect()))
}

/// Creates `<snapshots>/<key>` atomically: `build` fills a temporary directory that is then
/// renamed into place (refused when `key` exists).
pub(crate) fn create_atomically(
    snapshots: &Path,
    key: &str,
    build: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let dest = snapshots.join(key);
    if dest.exists() {
        return Err(StorageError::SnapshotExists {
            key: key.to_string(),
        });
    }
    let tmp = snapshots.join(format!(".tmp-{key}-{:016x}", fastrand::u64(..)));
    std::fs::create_dir(&tmp).map_err(io_err("create snapshot directory", &tmp))?;
    let done = build(&tmp).and_then(|()| {
        rustix::fs::renameat_with(CWD, &tmp, CWD, &dest, RenameFlags::NOREPLACE).map_err(|e| {
            if e == rustix::io::Errno::EXIST {
                StorageError::SnapshotExists {
                    key: key.to_string(),
                }
            } else {
                io_err("rename snapshot into place", &dest)(e.into())
            }
        })
    });
    if let Err(e) = done {
        if let Err(rm) = std::fs::remove_dir_all(&tmp) {
            tracing::warn!(path = %tmp.display(), error = %rm, "could not remove unfinished snapshot");
        }
        return Err(e);
    }
    Ok(dest)
}

/// Removes `<snapshots>/<key>`: renamed aside first so a crash never leaves a half-removed
/// snapshot under its own name.
pub(crate) fn remove(snapshots: &Path, key: &str) -> Result<()> {
    let dir = snapshots.join(key);
    if !dir.join(META).exists() {
        return Err(StorageError::SnapshotNotFound {
            key: key.to_string(),
        });
    }
    let aside = snapshots.join(format!(".rm-{key}-{:016x}", fastrand::u64(..)));
    std::fs::rename(&dir, &aside).map_err(io_err("rename snapshot for removal", &dir))?;
    std::fs::remove_dir_all(&aside).map_err(io_err("remove snapshot", &aside))
}

/// The keys of complete snapshots in `snapshots`, sorted.
pub(crate) fn list(snapshots: &Path) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for ent in std::fs::read_dir(snapshots).map_err(io_err("read directory", snapshots))? {
        let ent = ent.map_err(io_err("read directory", snapshots))?;
        let name = ent.file_name();
        if let Some(name) = name.to_str() {
            if !name.starts_with('.') && ent.path().join(META).exists() {
                keys.push(name.to_string());
            }
        }
    }
    keys.sort();
    Ok(keys)
}

/// Removes unfinished (`.tmp-*`) and half-removed (`.rm-*`) snapshot directories.
pub(crate) fn cleanup(snapshots: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for ent in std::fs::read_dir(snapshots).map_err(io_err("read directory", snapshots))? {
        let ent = ent.map_err(io_err("read directory", snapshots))?;
        let name = ent.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".tmp-") || name.starts_with(".rm-") {
            let path = ent.path();
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed.push(path),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove snapshot leftovers")
                }
            }
        }
    }
    Ok(removed)
}
