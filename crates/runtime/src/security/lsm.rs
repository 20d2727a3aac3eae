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
    write_attr("/proc/self/attr/apparmor/exec", data.as_bytes()).map_err(|(path, source)| {
        LsmError::AppArmorApply {
            profile: profile.to_owned(),
            path,
            source,
        }
    })
}

/// Makes the next execve run with SELinux `label` (writes it to /proc/self/attr/exec).
pub fn apply_selinux(label: &str) -> Result<(), LsmError> {
    write_attr("/proc/self/attr/exec", label.as_bytes()).map_err(|(path, source)| {
        LsmError::SelinuxApply {
            label: label.to_owned(),
            path,
            source,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_labels_are_ok() {
        assert!(check_labels(None, None, None).is_ok());
        assert!(check_labels(Some(""), Some(" "), Some("")).is_ok());
    }

    #[test]
    fn labels_on_a_host_without_lsm_name_the_field() {
        let root = tempfile::tempdir().unwrap();
        let e = check_labels_at(root.path(), Some("docker-default"), None, None).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("docker-default") && msg.contains("process.apparmorProfile"),
            "{msg}"
        );
        let e = check_labels_at(
            root.path(),
            None,
            Some("system_u:system_r:container_t:s0"),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("process.selinuxLabel"), "{e}");
        let e = check_labels_at(
            root.path(),
            None,
            None,
            Some("system_u:object_r:container_file_t:s0"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("linux.mountLabel"), "{e}");
    }

    #[test]
    fn labels_pass_when_the_lsm_is_enabled() {
        let root = tempfile::tempdir().unwrap();
        let aa = root.path().join(APPARMOR_ENABLED);
        std::fs::create_dir_all(aa.parent().unwrap()).unwrap();
        std::fs::write(&aa, "Y\n").unwrap();
        let se = root.path().join(SELINUX_ENFORCE);
        std::fs::create_dir_all(se.parent().unwrap()).unwrap();
        std::fs::write(&se, "1").unwrap();
        assert!(check_labels_at(root.path(), Some("docker-default"), Some("l"), Some("m")).is_ok());
        std::fs::write(&aa, "N\n").unwrap();
        assert!(matches!(
            check_labels_at(root.path(), Some("docker-default"), None, None),
            Err(LsmError::AppArmorDisabled { .. })
        ));
    }

    #[test]
    fn this_host_reports_the_field() {
        if apparmor_enabled(Path::new("/")) {
            eprintln!("skipped: AppArmor is enabled on this host");
            return;
        }
        let e = check_labels(Some("docker-default"), None, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("remove process.apparmorProfile from config.json"),
            "{e}"
        );
    }
}
