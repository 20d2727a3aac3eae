//! Linux security modules: AppArmor profile and SELinux labels from config.json.
//!
//! berth fails clearly when a label is requested on a host whose LSM is off, instead of
//! silently running the container unconfined. Paths are taken relative to a host root so
//! tests can point them at a temporary directory.

use std::path::{Path, PathBuf};

pub use super::error::LsmError;

const APPARMOR_ENABLED: &str = "sys/module/apparmor/parameters/enabled";
const SELINUX_ENFORCE: &str = "sys/fs/selinux/enforce";

fn apparmor_enabled(root: &Path) -> bool {
    std::fs::read_to_string(root.join(APPARMOR_ENABLED)).is_ok_and(|s| s.trim() == "Y")
}

fn selinux_enabled(root: &Path) -> bool {
    root.join(SELINUX_ENFORCE).exists()
}

fn requested(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

/// Checks that each requested label can be honoured on this host: an AppArmor profile
/// needs AppArmor enabled, an SELinux process or mount label needs SELinux.
pub fn check_labels(
    apparmor_profile: Option<&str>,
    selinux_label: Option<&str>,
    mount_label: Option<&str>,
) -> Result<(), LsmError> {
    check_labels_at(Path::new("/"), apparmor_profile, selinux_label, mount_label)
}

fn check_labels_at(
    root: &Path,
    apparmor_profile: Option<&str>,
    selinux_label: Option<&str>,
    mount_label: Option<&str>,
) -> Result<(), LsmError> {
    if let Some(profile) = requested(apparmor_profile) {
        if !apparmor_enabled(root) {
            return Err(LsmError::AppArmorDisabled {
                profile: profile.to_owned(),
            });
        }
    }
    for (label, field) in [
        (selinux_label, "process.selinuxLabel"),
        (mount_label, "linux.mountLabel"),
    ] {
        if let Some(label) = requested(label) {
            if !selinux_enabled(root) {
                return Err(LsmError::SelinuxDisabled {
                    label: label.to_owned(),
                    field,
                });
            }
        }
    }
    Ok(())
}

/// Makes the next execve run under AppArmor `profile` (writes `exec <profile>` to
/// /proc/self/attr/apparmor/exec, or /proc/self/attr/exec on kernels without the
/// per-LSM directory). Call [`check_labels`] first.
pub fn apply_apparmor(profile: &str) -> Result<(), LsmError> {
    let data = format!("exec {profile}");
    write_attr("/proc/self/attr/apparmor/exec", data.as_bytes()).map_err(|source| {
        LsmError::AppArmorApply {
            profile: profile.to_owned(),
            path: source.0,
            source: source.1,
        }
    })
}

/// Makes the next execve run with SELinux `label` (writes it to /proc/self/attr/exec).
pub fn apply_selinux(label: &str) -> Result<(), LsmError> {
    write_attr("/proc/self/attr/exec", label.as_bytes()).map_err(|source| LsmError::SelinuxApply {
        label: label.to_owned(),
        path: source.0,
        source: source.1,
    })
}

/// Writes `data` to the per-LSM attr file `path`, falling back to the shared
/// /proc/self/attr/exec when the per-LSM one does not exist.
fn write_attr(path: &str, data: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
    let shared = Path::new("/proc/self/attr/exec");
    let first = Path::new(path);
    let target = if first.exists() { first } else { shared };
    std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .and_then(|mut f| std::io::Write::write_all(&mut f, data))
        .map_err(|e| (target.to_path_buf(), e))
}
