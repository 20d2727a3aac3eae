//! The one way into a container's files from the host, for `cp` and `export`.
//!
//! berth never mounts a container's root filesystem on the host (the runtime mounts the
//! snapshot inside the container's own mount namespace). So:
//! - a running (or paused) container is reached through `/proc/<pid>/root`: its root as its
//!   processes see it, volumes and binds included ([`View::Live`]);
//! - otherwise the snapshot is mounted in a private mount namespace of a dedicated thread
//!   (`unshare(CLONE_NEWNS)`, `/` made rslave so nothing propagates back), on a temporary
//!   directory, with the container's bind mounts and volumes bound at their destinations
//!   for [`View::Live`]. The namespace, and so every mount, dies with the thread, even if
//!   berth crashes: no host mount can leak.
//!
//! [`View::Rootfs`] (for `export`) is always the snapshot alone, read-only, with the worker
//! thread chrooted into it, as Docker exports the image layers plus the writable layer and
//! no volumes.
//!
//! The caller gets a directory fd ([`RootDir::fd`]); every path below it must be resolved
//! with `openat2(RESOLVE_IN_ROOT)` (see `copy::resolve`).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use rustix::fs::{Mode, OFlags};

use super::copy::resolve;
use super::state::{is_active, running};
use crate::db::ContainerRecord;
use crate::error::{EngineError, Result};
use crate::Engine;

/// Which view of the container's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// What the container's processes see (volumes and binds included), writable.
    Live,
    /// The image layers plus the writable layer only, read-only.
    Rootfs,
}

/// A container's root directory, valid during the callback.
#[derive(Debug)]
pub struct RootDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl RootDir {
    /// The root directory; resolve paths below it only with `RESOLVE_IN_ROOT`.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
    /// A path naming the root on the calling thread (`/` when chrooted into it).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A bind mount of the container to reproduce: host source, destination, read-only.
#[derive(Debug, Clone)]
struct Bind {
    source: PathBuf,
    destination: PathBuf,
    read_only: bool,
}

fn cerr(id: &str, what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Container {
        id: id.to_string(),
        reason: format!("{what}: {e}"),
    }
}

/// Whether `pid` stops running within a moment (a process whose `/proc/PID/root` is
/// already gone is in the middle of exiting).
fn exited_soon(pid: i32) -> bool {
    for _ in 0..100 {
        if !running(pid) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    false
}

impl Engine {
    /// Runs `f` with the container's root directory (see the module doc). `f` may run on
    /// another thread, whose mount namespace is private.
    pub fn with_container_root<T: Send>(
        &mut self,
        c: &ContainerRecord,
        view: View,
        f: impl FnOnce(&RootDir) -> Result<T> + Send,
    ) -> Result<T> {
        let pid = c.state.pid;
        if view == View::Live && is_active(&c.state.status) && pid > 0 && running(pid) {
            let p = PathBuf::from(format!("/proc/{pid}/root"));
            match rustix::fs::open(
                &p,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => return f(&RootDir { fd, path: p }),
                // It is exiting (its root goes before it turns zombie) or has exited
                // since the check: its snapshot is the way in.
                Err(_) if exited_soon(pid) => {}
                Err(e) => return Err(EngineError::io("open", &p, e.into())),
            }
        }
        let mounts = self
            .snapshotter()?
            .mounts(&c.id)
            .map_err(|e| EngineError::Storage {
                layer: format!("container {}", c.id),
                source: e,
            })?;
        let binds = match view {
            View::Live => self.container_binds(&c.id),
            View::Rootfs => Vec::new(),
        };
        let tmp = self.root().tmp_dir().join(format!(
            "rootfs-{}-{}",
            super::names::short(&c.id),
            std::process::id()
        ));
        std::fs::create_dir_all(&tmp).map_err(|e| EngineError::io("create", &tmp, e))?;
        let id = c.id.as_str();
        let res = std::thread::scope(|s| {
            s.spawn(|| in_private_namespace(id, &mounts, &binds, &tmp, view, f))
                .join()
                .unwrap_or_else(|_| Err(cerr(id, "access the root filesystem", "worker panicked")))
        });
        let _ = std::fs::remove_dir(&tmp);
        res
    }

    /// The bind mounts (volumes, `-v`, `/etc/hosts`…) in the container's config.json.
    fn container_binds(&self, id: &str) -> Vec<Bind> {
        let path = self.root().container_dir(id).join("config.json");
        let Ok(spec) = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string())
            })
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in spec["mounts"].as_array().into_iter().flatten() {
            let opts: Vec<&str> = m["options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o.as_str())
                .collect();
            let is_bind = m["type"] == "bind" || opts.iter().any(|o| *o == "bind" || *o == "rbind");
            let (Some(src), Some(dst)) = (m["source"].as_str(), m["destination"].as_str()) else {
                continue;
            };
            if is_bind {
                out.push(Bind {
                    source: src.into(),
                    destination: dst.into(),
                    read_only: opts.contains(&"ro"),
                });
            }
        }
        out
    }
}

/// The worker: private namespace, snapshot on `tmp`, binds, then `f`.
fn in_private_namespace<T>(
    id: &str,
    mounts: &[storage::Mount],
    binds: &[Bind],
    tmp: &Path,
    view: View,
    f: impl FnOnce(&RootDir) -> Result<T>,
) -> Result<T> {
    use nix::sched::CloneFlags;
    // CLONE_NEWNS implies CLONE_FS: this thread's root and working directory become its
    // own too, so the chdir/chroot below touch no other thread.
    nix::sched::unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
        .map_err(|e| cerr(id, "unshare the mount namespace", e))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| cerr(id, "make / rslave", e))?;
    for m in mounts.iter().filter(|m| m.target.as_os_str().is_empty()) {
        mount_snapshot(id, m, tmp, view)?;
    }
    let root = rustix::fs::open(
        tmp,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| EngineError::io("open", tmp, e.into()))?;
    for b in binds {
        bind_into(id, &root, b)?;
    }
    if view == View::Rootfs {
        nix::unistd::chroot(tmp).map_err(|e| cerr(id, "chroot into the snapshot", e))?;
        nix::unistd::chdir("/").map_err(|e| cerr(id, "chdir /", e))?;
        return f(&RootDir {
            fd: root,
            path: PathBuf::from("/"),
        });
    }
    f(&RootDir {
        fd: root,
        path: tmp.to_path_buf(),
    })
}

/// Mounts the snapshot on `tmp`: as the container has it for [`View::Live`]; for
/// [`View::Rootfs`] read-only, an overlay with the upper dir as its top lower layer (no
/// work dir, so a running container's own mount is not disturbed).
fn mount_snapshot(id: &str, m: &storage::Mount, tmp: &Path, view: View) -> Result<()> {
    if let Some(cwd) = &m.cwd {
        nix::unistd::chdir(cwd).map_err(|e| cerr(id, "enter the snapshot directory", e))?;
    }
    let res = if m.fs_type == "overlay" {
        let mut data: Vec<String> = m.data().split(',').map(str::to_string).collect();
        let mut flags = MsFlags::empty();
        if view == View::Rootfs {
            let upper = data
                .iter()
                .find_map(|o| o.strip_prefix("upperdir=").map(str::to_string));
            data.retain(|o| !o.starts_with("upperdir=") && !o.starts_with("workdir="));
            if let Some(up) = upper {
                for o in data.iter_mut() {
                    if let Some(l) = o.strip_prefix("lowerdir=") {
                        *o = format!("lowerdir={up}:{l}");
                    }
                }
            }
            flags |= MsFlags::MS_RDONLY;
        }
        nix::mount::mount(
            Some("overlay"),
            tmp,
            Some("overlay"),
            flags,
            Some(data.join(",").as_str()),
        )
    } else {
        nix::mount::mount(
            Some(&m.source),
            tmp,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .and_then(|()| {
            if view == View::Rootfs {
                remount_ro(tmp)
            } else {
                Ok(())
            }
        })
    };
    if m.cwd.is_some() {
        let _ = nix::unistd::chdir("/");
    }
    res.map_err(|e| cerr(id, "mount the container snapshot", e))
}

fn remount_ro(target: &Path) -> nix::Result<()> {
    nix::mount::mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    )
}

/// Binds `b.source` at `b.destination` inside the root. The destination is resolved inside
/// the root (`RESOLVE_IN_ROOT`) and mounted on through its fd, so a symlink in the
/// snapshot cannot place the bind on a host path. A destination the snapshot lacks is
/// skipped (the runtime creates it at start; there is nothing under it to copy yet).
fn bind_into(id: &str, root: &OwnedFd, b: &Bind) -> Result<()> {
    let rel = resolve::clean(&b.destination);
    if rel.as_os_str().is_empty() {
        return Ok(());
    }
    let fd = match resolve::open_path(root, &rel) {
        Ok(fd) => fd,
        Err(_) => return Ok(()),
    };
    let target = PathBuf::from(format!(
        "/proc/thread-self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&fd)
    ));
    nix::mount::mount(
        Some(&b.source),
        &target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| {
        cerr(
            id,
            &format!("bind {} at {}", b.source.display(), b.destination.display()),
            e,
        )
    })?;
    if b.read_only {
        // The new mount is on top now: re-resolve to reach it, not the covered dentry.
        let fd2 = resolve::open_path(root, &rel)
            .map_err(|e| EngineError::io("open", &b.destination, e))?;
        let t2 = PathBuf::from(format!(
            "/proc/thread-self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&fd2)
        ));
        remount_ro(&t2).map_err(|e| cerr(id, "remount read-only", e))?;
    }
    Ok(())
}
