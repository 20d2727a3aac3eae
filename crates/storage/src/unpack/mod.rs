//! Unpacking a layer tar (plain, gzip or zstd) into its own directory.
//!
//! The layer is written to `<dest>.tmp-<random>` beside `dest` and renamed to `dest` only
//! when every entry is on disk (and, with [`UnpackOptions::sync`], synced), so a crash or an
//! error leaves nothing that looks like a finished layer; [`remove_interrupted`] clears the
//! leftovers. Every entry is created relative to the layer root fd (see `unpack/safe_path.rs`).
//!
//! Why not `tar::Archive::unpack`: it follows symlinks that earlier entries planted in some
//! cases, does not use `openat2`, and knows nothing of overlay whiteouts or byte limits.

mod compression;
mod entry;
mod guard;
pub(crate) mod safe_path;

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};

pub use compression::Compression;

use crate::error::{io_err, Result, StorageError};

/// Limits and behaviour of one unpack.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    /// How errors name the layer (its digest, usually). Empty: the destination path.
    pub layer: String,
    /// Most bytes of file content the layer may unpack to.
    pub max_bytes: u64,
    /// Most tar entries the layer may hold.
    pub max_entries: u64,
    /// Keep the uid/gid of entries (needs root / CAP_CHOWN). When false, files belong to the caller.
    pub same_owner: bool,
    /// `syncfs` the layer before renaming it into place (crash safety; slower).
    pub sync: bool,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            layer: String::new(),
            max_bytes: 64 << 30,
            max_entries: 2_000_000,
            same_owner: true,
            sync: true,
        }
    }
}

/// What an unpack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackStats {
    /// Tar entries processed (whiteouts included).
    pub entries: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// The compression the stream turned out to have.
    pub compression: Compression,
}

/// Marker in the names of unfinished layer directories.
pub const TMP_MARKER: &str = ".tmp-";

/// Unpacks the layer archive read from `reader` into the new directory `dest` (which must not
/// exist; its parent must). The whole input is read, including anything after the tar end, so a
/// caller hashing the stream sees every byte.
pub fn unpack_layer<R: Read>(reader: R, dest: &Path, opts: &UnpackOptions) -> Result<UnpackStats> {
    let label = if opts.layer.is_empty() {
        dest.display().to_string()
    } else {
        opts.layer.clone()
    };
    if dest.symlink_metadata().is_ok() {
        return Err(StorageError::LayerExists {
            path: dest.to_path_buf(),
        });
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest.file_name().ok_or_else(|| StorageError::Io {
        op: "unpack into",
        path: dest.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "destination has no file name"),
    })?;
    let mut tmp_name = OsString::from(name);
    tmp_name.push(format!("{TMP_MARKER}{:016x}", fastrand::u64(..)));
    let tmp = parent.join(tmp_name);
    std::fs::create_dir(&tmp).map_err(io_err("create temporary layer directory", &tmp))?;

    let result = entry::Unpacker::new(&tmp, &label, opts).and_then(|u| u.run(reader));
    let stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            remove_tree_logged(&tmp);
            return Err(e);
        }
    };
    match rustix::fs::renameat_with(CWD, &tmp, CWD, dest, RenameFlags::NOREPLACE) {
        Ok(()) => {}
        Err(e) => {
            remove_tree_logged(&tmp);
            if e == rustix::io::Errno::EXIST {
                return Err(StorageError::LayerExists {
                    path: dest.to_path_buf(),
                });
            }
            return Err(StorageError::Io {
                op: "rename finished layer to",
                path: dest.to_path_buf(),
                source: e.into(),
            });
        }
    }
    if opts.sync {
        let dir = std::fs::File::open(&parent).map_err(io_err("open layers directory", &parent))?;
        dir.sync_all()
            .map_err(io_err("fsync layers directory", &parent))?;
    }
    Ok(stats)
}

/// Removes unfinished layer directories (`*.tmp-*`) left in `layers_dir` by interrupted
/// unpacks. Carries on past a failed removal and returns what was removed.
pub fn remove_interrupted(layers_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let rd = std::fs::read_dir(layers_dir).map_err(io_err("read layers directory", layers_dir))?;
    for ent in rd {
        let ent = ent.map_err(io_err("read layers directory", layers_dir))?;
        if ent.file_name().to_string_lossy().contains(TMP_MARKER) {
            let path = ent.path();
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed.push(path),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove interrupted layer")
                }
            }
        }
    }
    Ok(removed)
}

fn remove_tree_logged(path: &Path) {
    if let Err(e) = std::fs::remove_dir_all(path) {
        tracing::warn!(path = %path.display(), error = %e, "could not remove unfinished layer directory");
    }
}

#[cfg(test)]
mod tests;
