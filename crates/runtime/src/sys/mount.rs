//! mount(2) behind a trait, so the rootfs steps can be tested without privileges:
//! [`Linux`] performs the calls, [`Recorder`] (tests) records them, resolving the
//! `/proc/self/fd/N` targets to the paths they name, and can fail a chosen call.

use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

/// The mount calls of the rootfs steps.
pub trait Mounter {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> nix::Result<()>;

    fn umount(&self, target: &Path, flags: MntFlags) -> nix::Result<()>;
}

/// The real kernel.
pub struct Linux;

impl Mounter for Linux {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> nix::Result<()> {
        nix::mount::mount(source, target, fstype, flags, data)
    }

    fn umount(&self, target: &Path, flags: MntFlags) -> nix::Result<()> {
        nix::mount::umount2(target, flags)
    }
}

/// One recorded mount call; `target` is what the `/proc/self/fd/N` path named.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountCall {
    pub source: Option<String>,
    pub target: std::path::PathBuf,
    pub fstype: Option<String>,
    pub flags: MsFlags,
    pub data: Option<String>,
}

/// A recording double: every call is kept; call number `fail_at` (0-based) fails.
#[cfg(test)]
#[derive(Default)]
pub struct Recorder {
    pub calls: std::cell::RefCell<Vec<MountCall>>,
    pub fail_at: Option<usize>,
}

#[cfg(test)]
impl Mounter for Recorder {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> nix::Result<()> {
        let resolved = std::fs::read_link(target).unwrap_or_else(|_| target.to_path_buf());
        let n = self.calls.borrow().len();
        self.calls.borrow_mut().push(MountCall {
            source: source.map(|s| s.to_string_lossy().into_owned()),
            target: resolved,
            fstype: fstype.map(str::to_string),
            flags,
            data: data.map(str::to_string),
        });
        if self.fail_at == Some(n) {
            return Err(nix::errno::Errno::EINVAL);
        }
        Ok(())
    }

    fn umount(&self, _target: &Path, _flags: MntFlags) -> nix::Result<()> {
        Ok(())
    }
}
