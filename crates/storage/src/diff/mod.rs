//! The changes of a container's writable layer, as a `docker diff` list and as an OCI layer
//! tar (deletions as `.wh.NAME`, opaque directories as `.wh..wh..opq`) for `commit`, `diff`
//! and `export`.
//!
//! Two sources: an overlay upper dir, which holds exactly the changes (whiteout devices and
//! opaque xattrs included), and a full tree (vfs), which is compared against the union of its
//! parent layers (by type, mode, owner, size, mtime, link target, device and xattrs — the
//! same test Docker's vfs driver uses; contents are not re-read).

mod lower;
mod tar_out;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{io_err, Result};
use crate::fsutil;
use crate::snapshot::Snapshotter;
pub(crate) use lower::Lowers;

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// `A`: created.
    Added,
    /// `C`: changed.
    Modified,
    /// `D`: deleted.
    Deleted,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Added => "A",
            ChangeKind::Modified => "C",
            ChangeKind::Deleted => "D",
        })
    }
}

/// One line of `docker diff`: `C /etc`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Absolute path inside the container (`/etc/passwd`).
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path.display())
    }
}

/// What the writable directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpperKind {
    /// Only the changes, overlay style (whiteout devices, opaque xattrs).
    Overlay,
    /// The whole root filesystem (vfs); changes are found by comparing with the parents.
    FullTree,
}

/// One step of writing a layer tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// Copy the object at this relative path of the upper dir.
    Put(PathBuf),
    /// `.wh.NAME` for this relative path.
    Whiteout(PathBuf),
    /// `.wh..wh..opq` inside this directory.
    Opaque(PathBuf),
}

/// The changes in `upper` relative to `lowers` (lowest first), sorted by path.
pub fn changes(upper: &Path, lowers: &[PathBuf], kind: UpperKind) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut ops = Vec::new();
    match kind {
        UpperKind::Overlay => walk_overlay(
            upper,
            Path::new(""),
            &Lowers::new(lowers),
            &mut out,
            &mut ops,
        )?,
        UpperKind::FullTree => walk_full(upper, Path::new(""), &Lowers::new(lowers), &mut out)?,
    }
    out.sort();
    Ok(out)
}

/// Writes the changes in `upper` relative to `lowers` as an uncompressed OCI layer tar into
/// `out` and returns it (the caller compresses and hashes as it likes).
pub fn write_layer<W: Write>(
    upper: &Path,
    lowers: &[PathBuf],
    kind: UpperKind,
    out: W,
) -> Result<W> {
    write_layer_except(upper, lowers, kind, &[], out)
}

/// [`write_layer`] without the objects at `except` (absolute paths, as in [`Change`]):
/// mountpoints a runtime created, which are not content of the container.
pub fn write_layer_except<W: Write>(
    upper: &Path,
    lowers: &[PathBuf],
    kind: UpperKind,
    except: &[PathBuf],
    out: W,
) -> Result<W> {
    let lw = Lowers::new(lowers);
    let mut ops = Vec::new();
    match kind {
        UpperKind::Overlay => {
            let mut changes = Vec::new();
            walk_overlay(upper, Path::new(""), &lw, &mut changes, &mut ops)?;
        }
        UpperKind::FullTree => {
            let mut changes = Vec::new();
            walk_full(upper, Path::new(""), &lw, &mut changes)?;
            changes.sort();
            ops = ops_for_changes(&changes);
        }
    }
    if !except.is_empty() {
        ops.retain(|op| !matches!(op, Op::Put(rel) if except.contains(&abs(rel))));
    }
    tar_out::write(upper, &ops, out)
}

/// The whole tree under `root` (a mounted container root filesystem) as a tar, for
/// `docker export`: every object, no whiteouts.
pub fn export_tree<W: Write>(root: &Path, out: W) -> Result<W> {
    write_layer(root, &[], UpperKind::FullTree, out)
}

/// [`changes`] of a snapshot.
pub fn snapshot_changes(sn: &dyn Snapshotter, key: &str) -> Result<Vec<Change>> {
    changes(&sn.upper_dir(key)?, &sn.parents(key)?, upper_kind(sn))
}

/// [`write_layer`] of a snapshot.
pub fn snapshot_layer<W: Write>(sn: &dyn Snapshotter, key: &str, out: W) -> Result<W> {
    write_layer(&sn.upper_dir(key)?, &sn.parents(key)?, upper_kind(sn), out)
}

/// [`write_layer_except`] of a snapshot.
pub fn snapshot_layer_except<W: Write>(
    sn: &dyn Snapshotter,
    key: &str,
    except: &[PathBuf],
    out: W,
) -> Result<W> {
    write_layer_except(
        &sn.upper_dir(key)?,
        &sn.parents(key)?,
        upper_kind(sn),
        except,
        out,
    )
}

fn upper_kind(sn: &dyn Snapshotter) -> UpperKind {
    if sn.upper_is_full_tree() {
        UpperKind::FullTree
    } else {
        UpperKind::Overlay
    }
}

fn abs(rel: &Path) -> PathBuf {
    Path::new("/").join(rel)
}

fn walk_overlay(
    upper: &Path,
    rel: &Path,
    lowers: &Lowers<'_>,
    out: &mut Vec<Change>,
    ops: &mut Vec<Op>,
) -> Result<()> {
    let dir = upper.join(rel);
    for name in fsutil::sorted_names(&dir).map_err(io_err("read directory", &dir))? {
        let r = rel.join(&name);
        let p = upper.join(&r);
        let md = std::fs::symlink_metadata(&p).map_err(io_err("stat", &p))?;
        if fsutil::is_whiteout(&md) {
            // A whiteout of something that never existed below (created and deleted in the
            // container) is still written: harmless, and what overlay recorded.
            if lowers.lookup(&r)?.is_some() {
                out.push(Change {
                    path: abs(&r),
                    kind: ChangeKind::Deleted,
                });
            }
            ops.push(Op::Whiteout(r));
            continue;
        }
        let below = lowers.lookup(&r)?;
        let kind = if below.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        out.push(Change {
            path: abs(&r),
            kind,
        });
        ops.push(Op::Put(r.clone()));
        if md.is_dir() {
            if fsutil::is_opaque(&p).map_err(io_err("read xattrs of", &p))? {
                ops.push(Op::Opaque(r.clone()));
                // Everything the lowers had here and the upper does not is gone.
                if matches!(&below, Some((_, lmd)) if lmd.is_dir()) {
                    for child in lowers.children(&r)? {
                        if std::fs::symlink_metadata(p.join(&child)).is_err() {
                            out.push(Change {
                                path: abs(&r.join(&child)),
                                kind: ChangeKind::Deleted,
                            });
                        }
                    }
                }
            }
            walk_overlay(upper, &r, lowers, out, ops)?;
        }
    }
    Ok(())
}

fn walk_full(tree: &Path, rel: &Path, lowers: &Lowers<'_>, out: &mut Vec<Change>) -> Result<()> {
    let dir = tree.join(rel);
    let names = fsutil::sorted_names(&dir).map_err(io_err("read directory", &dir))?;
    for name in &names {
        let r = rel.join(name);
        let p = tree.join(&r);
        let md = std::fs::symlink_metadata(&p).map_err(io_err("stat", &p))?;
        match lowers.lookup(&r)? {
            None => out.push(Change {
                path: abs(&r),
                kind: ChangeKind::Added,
            }),
            Some((lp, lmd)) => {
                if differs(&p, &md, &lp, &lmd)? {
                    out.push(Change {
                        path: abs(&r),
                        kind: ChangeKind::Modified,
                    });
                }
            }
        }
        if md.is_dir() {
            walk_full(tree, &r, lowers, out)?;
        }
    }
    for gone in lowers.children(rel)? {
        if !names.contains(&gone) {
            out.push(Change {
                path: abs(&rel.join(gone)),
                kind: ChangeKind::Deleted,
            });
        }
    }
    Ok(())
}

fn differs(p: &Path, md: &std::fs::Metadata, lp: &Path, lmd: &std::fs::Metadata) -> Result<bool> {
    if md.file_type() != lmd.file_type()
        || md.mode() != lmd.mode()
        || md.uid() != lmd.uid()
        || md.gid() != lmd.gid()
        || md.rdev() != lmd.rdev()
    {
        return Ok(true);
    }
    if md.mtime() != lmd.mtime()
        || md.mtime_nsec() != lmd.mtime_nsec()
        || (!md.is_dir() && md.size() != lmd.size())
    {
        return Ok(true);
    }
    if md.file_type().is_symlink() {
        let a = std::fs::read_link(p).map_err(io_err("read link", p))?;
        let b = std::fs::read_link(lp).map_err(io_err("read link", lp))?;
        if a != b {
            return Ok(true);
        }
    }
    let strip = |v: Vec<(std::ffi::OsString, Vec<u8>)>| {
        v.into_iter()
            .filter(|(n, _)| {
                !n.as_encoded_bytes()
                    .starts_with(crate::whiteout::OVERLAY_XATTR_PREFIX.as_bytes())
            })
            .collect::<Vec<_>>()
    };
    let a = strip(fsutil::xattrs(p).map_err(io_err("read xattrs of", p))?);
    let b = strip(fsutil::xattrs(lp).map_err(io_err("read xattrs of", lp))?);
    Ok(a != b)
}

/// Tar steps for a sorted change list: each added or changed path with its parent
/// directories first (so their owners and modes travel too), each deletion as a whiteout.
fn ops_for_changes(changes: &[Change]) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut put = std::collections::BTreeSet::new();
    for c in changes {
        let rel = c.path.strip_prefix("/").unwrap_or(&c.path).to_path_buf();
        let mut ancestors: Vec<PathBuf> = rel
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .collect();
        ancestors.reverse();
        for a in ancestors {
            if put.insert(a.clone()) {
                ops.push(Op::Put(a));
            }
        }
        match c.kind {
            ChangeKind::Deleted => ops.push(Op::Whiteout(rel)),
            _ => {
                if put.insert(rel.clone()) {
                    ops.push(Op::Put(rel));
                }
            }
        }
    }
    ops
}
