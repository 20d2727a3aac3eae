//! A container's network namespace, made by the engine before the runtime starts the
//! container (as podman does): a short-lived thread `unshare`s a new namespace and
//! bind-mounts it at `<run root>/netns/<container id>`; the spec names that path, so the
//! runtime joins it, and restarts by the monitor join the same one (address and published
//! ports survive). Unmounting the file and the container's exit free the namespace.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::error::{EngineError, Result};
use crate::root::Root;

/// `<run root>/netns`.
pub fn netns_dir(root: &Root) -> PathBuf {
    root.run_dir().join("netns")
}

/// `<run root>/netns/<id>`: where a container's namespace is bind-mounted.
pub fn netns_path(root: &Root, id: &str) -> PathBuf {
    netns_dir(root).join(id)
}

/// Makes a new network namespace and mounts it at `path` (which must not exist yet).
pub fn create(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io("create directory", dir, e))?;
    }
    std::fs::File::create(path).map_err(|e| EngineError::io("create netns file", path, e))?;
    let target = path.to_path_buf();
    // unshare(CLONE_NEWNET) moves only the calling thread: a thread of its own, which then
    // ends; the bind mount keeps the namespace.
    let made = std::thread::spawn(move || -> nix::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        let own = format!("/proc/self/task/{}/ns/net", nix::unistd::gettid());
        mount(
            Some(own.as_str()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
    })
    .join();
    let err = match made {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the namespace thread panicked".to_string(),
    };
    let _ = std::fs::remove_file(path);
    Err(EngineError::Network(format!(
        "create network namespace {}: {err}",
        path.display()
    )))
}

/// Unmounts and removes a namespace file; gone already is fine.
pub fn remove(path: &Path) -> Result<()> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(EngineError::io("unmount netns", path, e.into())),
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EngineError::io("remove netns file", path, e)),
    }
}

/// Whether `path` holds a mounted namespace (an nsfs file, not the empty placeholder).
pub fn is_mounted(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .map(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
        .unwrap_or(false)
}
