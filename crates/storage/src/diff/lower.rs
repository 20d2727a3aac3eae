//! Looking things up in the union of read-only layers (overlay format), top layer winning,
//! whiteouts and opaque directories respected — the view overlayfs would show.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::error::{io_err, Result};
use crate::fsutil;

/// What one layer says about a path.
enum InLayer {
    /// Nothing here; `stop` when an opaque ancestor hides the layers below.
    Missing { stop: bool },
    /// A whiteout or a non-directory ancestor deletes the path.
    Deleted,
    /// Present; `stop` when the path or an ancestor is opaque in this layer.
    Found {
        path: PathBuf,
        md: Metadata,
        stop: bool,
    },
}

fn in_layer(layer: &Path, rel: &Path) -> Result<InLayer> {
    let mut cur = layer.to_path_buf();
    let mut opaque = false;
    let n = rel.components().count();
    for (i, c) in rel.components().enumerate() {
        cur.push(c);
        let md = match std::fs::symlink_metadata(&cur) {
            Ok(md) => md,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(InLayer::Missing { stop: opaque })
            }
            Err(e) => return Err(io_err("stat", &cur)(e)),
        };
        if fsutil::is_whiteout(&md) {
            return Ok(InLayer::Deleted);
        }
        let last = i + 1 == n;
        if !last && !md.is_dir() {
            return Ok(InLayer::Deleted);
        }
        if md.is_dir() && fsutil::is_opaque(&cur).map_err(io_err("read xattrs of", &cur))? {
            opaque = true;
        }
        if last {
            return Ok(InLayer::Found {
                path: cur,
                md,
                stop: opaque,
            });
        }
    }
    // rel is empty: the layer root.
    let md = std::fs::symlink_metadata(layer).map_err(io_err("stat", layer))?;
    Ok(InLayer::Found {
        path: layer.to_path_buf(),
        md,
        stop: false,
    })
}

/// The layers, lowest first (as snapshots take them).
pub(crate) struct Lowers<'a> {
    layers: &'a [PathBuf],
}

impl<'a> Lowers<'a> {
    pub(crate) fn new(layers: &'a [PathBuf]) -> Self {
        Lowers { layers }
    }

    /// The path and metadata of `rel` as the union shows it, `None` when absent or deleted.
    pub(crate) fn lookup(&self, rel: &Path) -> Result<Option<(PathBuf, Metadata)>> {
        for layer in self.layers.iter().rev() {
            match in_layer(layer, rel)? {
                InLayer::Missing { stop: false } => continue,
                InLayer::Missing { stop: true } | InLayer::Deleted => return Ok(None),
                InLayer::Found { path, md, .. } => return Ok(Some((path, md))),
            }
        }
        Ok(None)
    }

    /// The names the union shows in directory `rel` (empty when it is not a directory).
    pub(crate) fn children(&self, rel: &Path) -> Result<Vec<OsString>> {
        let mut seen: BTreeMap<OsString, bool> = BTreeMap::new();
        for layer in self.layers.iter().rev() {
            match in_layer(layer, rel)? {
                InLayer::Missing { stop: false } => continue,
                InLayer::Missing { stop: true } | InLayer::Deleted => break,
                InLayer::Found { path, md, stop } => {
                    if !md.is_dir() {
                        break;
                    }
                    for name in
                        fsutil::sorted_names(&path).map_err(io_err("read directory", &path))?
                    {
                        let child = path.join(&name);
                        let cmd =
                            std::fs::symlink_metadata(&child).map_err(io_err("stat", &child))?;
                        seen.entry(name).or_insert(!fsutil::is_whiteout(&cmd));
                    }
                    if stop {
                        break;
                    }
                }
            }
        }
        Ok(seen
            .into_iter()
            .filter_map(|(n, visible)| visible.then_some(n))
            .collect())
    }
}
