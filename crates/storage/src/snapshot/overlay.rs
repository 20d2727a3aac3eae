//! The overlay snapshotter.
//!
//! Layout under its root:
//! ```text
//! l/<ID>                      -> /abs/path/of/layer   (short links, as Docker's overlay2)
//! snapshots/<key>/meta        kind and parents
//! snapshots/<key>/upper/      the writable layer (active snapshots)
//! snapshots/<key>/work/       overlay's work dir
//! snapshots/<key>/empty/      the lower dir of a snapshot without parents
//! ```
//! Each lower dir is named by its short link, so 128+ layers fit in one page of mount
//! options; when absolute paths would still be too long, the options use paths relative to
//! the root and [`Mount::cwd`] tells the mounter to mount from there.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{meta, usage_of, Kind, Mount, Snapshotter, Usage};
use crate::error::{io_err, Result, StorageError};

/// Options every overlay mount gets: no redirects or metacopy (diffs read the upper dir as
/// plain files and whiteouts, and a layer must never steer lookups elsewhere), no index.
/// The probe mounts with them too, so a kernel that lacks them gets the vfs driver.
pub const FIXED_OPTIONS: [&str; 3] = ["index=off", "redirect_dir=off", "metacopy=off"];

/// Length of a short link name (base32, 50 bits: no collisions in practice, and checked).
const LINK_LEN: usize = 10;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Overlayfs snapshots.
#[derive(Debug)]
pub struct OverlaySnapshotter {
    root: PathBuf,
}

impl OverlaySnapshotter {
    /// Opens (creating) an overlay snapshotter rooted at `root`. Does not probe; call
    /// [`probe`] (or use [`super::detect`]) to find out whether overlay works here.
    pub fn new(root: &Path) -> Result<Self> {
        check_root(root)?;
        for d in [root.to_path_buf(), root.join("l"), root.join("snapshots")] {
            std::fs::create_dir_all(&d).map_err(io_err("create directory", &d))?;
        }
        Ok(OverlaySnapshotter {
            root: root.to_path_buf(),
        })
    }

    fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// The short link for `layer`, created when missing: `l/<ID>` -> `layer`.
    fn link_for(&self, layer: &Path) -> Result<String> {
        let hash = Sha256::digest(layer.as_os_str().as_encoded_bytes());
        let id: String = hash
            .iter()
            .map(|b| ALPHABET[usize::from(b % 32)] as char)
            .collect();
        // Grow the name on the (astronomically unlikely) clash with another layer's link.
        for len in LINK_LEN..=id.len() {
            let name = &id[..len];
            let link = self.root.join("l").join(name);
            match std::fs::read_link(&link) {
                Ok(t) if t == layer => return Ok(name.to_string()),
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let tmp = self
                        .root
                        .join("l")
                        .join(format!(".{name}-{:08x}", fastrand::u32(..)));
                    std::os::unix::fs::symlink(layer, &tmp)
                        .map_err(io_err("create layer link", &tmp))?;
                    // rename over a racing creator's identical link is harmless.
                    std::fs::rename(&tmp, &link).map_err(io_err("rename layer link", &link))?;
                    return Ok(name.to_string());
                }
                Err(e) => return Err(io_err("read layer link", &link)(e)),
            }
        }
        Err(io_err("create layer link for", layer)(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "every link name is taken by another layer",
        )))
    }

    /// Removes links in `l/` whose layer directory is gone. Returns how many were removed.
    pub fn prune_links(&self) -> Result<usize> {
        let dir = self.root.join("l");
        let mut n = 0;
        for ent in std::fs::read_dir(&dir).map_err(io_err("read directory", &dir))? {
            let ent = ent.map_err(io_err("read directory", &dir))?;
            let p = ent.path();
            if std::fs::metadata(&p).is_err() && std::fs::symlink_metadata(&p).is_ok() {
                match std::fs::remove_file(&p) {
                    Ok(()) => n += 1,
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "could not remove stale layer link")
                    }
                }
            }
        }
        Ok(n)
    }

    fn mounts_for(&self, key: &str, kind: Kind, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        let dir = self.snapshots().join(key);
        let bind = |src: PathBuf, ro: bool| Mount {
            fs_type: "bind".into(),
            source: src,
            target: PathBuf::new(),
            options: vec!["rbind".into(), if ro { "ro".into() } else { "rw".into() }],
            cwd: None,
        };
        if kind == Kind::View && parents.len() < 2 {
            // Overlay needs an upper dir or two lowers; a plain read-only bind does the job.
            let src = parents
                .first()
                .cloned()
                .unwrap_or_else(|| dir.join("empty"));
            return Ok(vec![bind(src, true)]);
        }
        // overlay lists the top layer first.
        let mut ids = Vec::with_capacity(parents.len().max(1));
        for p in parents.iter().rev() {
            ids.push(format!("l/{}", self.link_for(p)?));
        }
        let lowers: Vec<String> = if parents.is_empty() {
            vec![format!("snapshots/{key}/empty")]
        } else {
            ids
        };
        let build = |base: &str| -> Vec<String> {
            let lower = lowers
                .iter()
                .map(|l| format!("{base}{l}"))
                .collect::<Vec<_>>()
                .join(":");
            let mut opts = vec![format!("lowerdir={lower}")];
            if kind == Kind::Active {
                opts.push(format!("upperdir={base}snapshots/{key}/upper"));
                opts.push(format!("workdir={base}snapshots/{key}/work"));
            } else {
                opts.push("ro".into());
            }
            opts.extend(FIXED_OPTIONS.iter().map(|o| o.to_string()));
            opts
        };
        let limit = rustix::param::page_size() - 1;
        let root = self.root.to_str().ok_or_else(|| {
            io_err("use snapshotter root", &self.root)(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "root path is not UTF-8",
            ))
        })?;
        let absolute = build(&format!("{}/", root.trim_end_matches('/')));
        let data_len = |o: &[String]| {
            o.iter()
                .filter(|s| !super::is_flag(s))
                .map(|s| s.len() + 1)
                .sum::<usize>()
        };
        let (options, cwd) = if data_len(&absolute) <= limit {
            (absolute, None)
        } else {
            let relative = build("");
            let len = data_len(&relative);
            if len > limit {
                return Err(StorageError::MountOptionsTooLong {
                    key: key.to_string(),
                    len,
                    limit,
                    layers: parents.len(),
                });
            }
            (relative, Some(self.root.clone()))
        };
        Ok(vec![Mount {
            fs_type: "overlay".into(),
            source: "overlay".into(),
            target: PathBuf::new(),
            options,
            cwd,
        }])
    }

    fn create(&self, key: &str, kind: Kind, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        super::check_key(key)?;
        meta::create_atomically(&self.snapshots(), key, |tmp| {
            // `empty` is the lower of a snapshot with no parent only.
            let subs: &[&str] = if parents.is_empty() {
                &["upper", "work", "empty"]
            } else {
                &["upper", "work"]
            };
            for sub in subs {
                let d = tmp.join(sub);
                std::fs::create_dir(&d).map_err(io_err("create directory", &d))?;
            }
            meta::write(tmp, kind, parents)
        })?;
        self.mounts_for(key, kind, parents).inspect_err(|_| {
            let _ = meta::remove(&self.snapshots(), key);
        })
    }
}

impl Snapshotter for OverlaySnapshotter {
    fn name(&self) -> &'static str {
        "overlay"
    }

    fn prepare(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        self.create(key, Kind::Active, parents)
    }

    fn view(&self, key: &str, parents: &[PathBuf]) -> Result<Vec<Mount>> {
        self.create(key, Kind::View, parents)
    }

    fn mounts(&self, key: &str) -> Result<Vec<Mount>> {
        super::check_key(key)?;
        let (kind, parents) = meta::read(&self.snapshots().join(key), key)?;
        self.mounts_for(key, kind, &parents)
    }

    fn upper_dir(&self, key: &str) -> Result<PathBuf> {
        super::check_key(key)?;
        meta::read(&self.snapshots().join(key), key)?;
        Ok(self.snapshots().join(key).join("upper"))
    }

    fn upper_is_full_tree(&self) -> bool {
        false
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
        let upper = self.upper_dir(key)?;
        usage_of(&upper)
    }

    fn list(&self) -> Result<Vec<String>> {
        meta::list(&self.snapshots())
    }

    fn cleanup(&self) -> Result<Vec<PathBuf>> {
        let removed = meta::cleanup(&self.snapshots())?;
        self.prune_links()?;
        Ok(removed)
    }
}

/// The root appears in mount options, where `,` `:` and whitespace are separators.
fn check_root(root: &Path) -> Result<()> {
    match root.to_str() {
        Some(s) if root.is_absolute() && !s.contains([',', ':', ' ', '\t', '\n', '\\']) => Ok(()),
        _ => Err(io_err("use overlay snapshotter root", root)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the root must be an absolute UTF-8 path without ',', ':', '\\' or whitespace (it goes into overlay mount options)",
        ))),
    }
}

/// Trial-mounts an overlay (two lowers, an upper, a whiteout) under `root` and unmounts it:
/// the only reliable test of overlay support for that filesystem (containerd's
/// overlayutils/check.go does the same). Needs CAP_SYS_ADMIN.
pub fn probe(root: &Path) -> Result<()> {
    check_root(root)?;
    std::fs::create_dir_all(root).map_err(io_err("create directory", root))?;
    let dir = root.join(format!(".probe-{:016x}", fastrand::u64(..)));
    let result = probe_in(&dir, root);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(path = %dir.display(), error = %e, "could not remove overlay probe directory");
    }
    result
}

fn probe_in(dir: &Path, root: &Path) -> Result<()> {
    let unsupported = |source: std::io::Error| StorageError::OverlayUnsupported {
        root: root.to_path_buf(),
        source,
    };
    for sub in ["l1", "l2", "upper", "work", "merged"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(unsupported)?;
    }
    let data = format!(
        "lowerdir={0}/l2:{0}/l1,upperdir={0}/upper,workdir={0}/work,{1}",
        dir.display(),
        FIXED_OPTIONS.join(",")
    );
    let data = CString::new(data)
        .map_err(|e| unsupported(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
    let merged = dir.join("merged");
    rustix::mount::mount(
        "overlay",
        &merged,
        "overlay",
        rustix::mount::MountFlags::empty(),
        data.as_c_str(),
    )
    .map_err(|e| unsupported(e.into()))?;
    // Check that deleting through the mount works (whiteouts need mknod in the upper fs).
    let check = std::fs::write(merged.join("f"), b"x")
        .and_then(|()| std::fs::remove_file(merged.join("f")));
    let unmounted = rustix::mount::unmount(&merged, rustix::mount::UnmountFlags::empty());
    check.map_err(unsupported)?;
    unmounted.map_err(|e| unsupported(e.into()))
}
