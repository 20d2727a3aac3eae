//! Host devices: `--device /dev/x[:/dev/y[:rwm]]` (a node, or a directory of nodes) and, for
//! `--privileged`, every node under the host's `/dev` (moby `DevicesFromPath`, containerd
//! `HostDevices`).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType,
};

use super::SpecError;

/// The device at `path` (not following a final symlink), `Ok(None)` if it is not a block or
/// character device.
fn device_at(path: &Path, in_container: &Path) -> std::io::Result<Option<LinuxDevice>> {
    let meta = std::fs::symlink_metadata(path)?;
    let ft = meta.file_type();
    let typ = if ft.is_block_device() {
        LinuxDeviceType::B
    } else if ft.is_char_device() {
        LinuxDeviceType::C
    } else {
        return Ok(None);
    };
    let rdev = meta.rdev();
    let dev = LinuxDeviceBuilder::default()
        .path(in_container)
        .typ(typ)
        .major(i64::from(rustix::fs::major(rdev)))
        .minor(i64::from(rustix::fs::minor(rdev)))
        .file_mode(meta.mode() & 0o777)
        .uid(meta.uid())
        .gid(meta.gid())
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(Some(dev))
}

fn allow_rule(d: &LinuxDevice, access: &str) -> Result<LinuxDeviceCgroup, SpecError> {
    Ok(LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .typ(d.typ())
        .major(d.major())
        .minor(d.minor())
        .access(access)
        .build()?)
}

/// One `--device`: the nodes to create and the cgroup rules allowing them.
pub fn devices_from_path(
    on_host: &str,
    in_container: &str,
    permissions: &str,
) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>), SpecError> {
    let err = |reason: String| SpecError::Device {
        path: on_host.into(),
        reason,
    };
    let in_container = if in_container.is_empty() {
        on_host
    } else {
        in_container
    };
    let permissions = if permissions.is_empty() {
        "rwm"
    } else {
        permissions
    };
    if !permissions.chars().all(|c| "rwm".contains(c)) {
        return Err(err(format!(
            "invalid cgroup permissions {permissions:?} (a subset of \"rwm\")"
        )));
    }
    let resolved = std::fs::canonicalize(on_host).unwrap_or_else(|_| PathBuf::from(on_host));
    match device_at(&resolved, Path::new(in_container)) {
        Ok(Some(d)) => {
            let rule = allow_rule(&d, permissions)?;
            return Ok((vec![d], vec![rule]));
        }
        Ok(None) => {}
        Err(e) => return Err(err(e.to_string())),
    }
    if resolved.is_dir() {
        let mut devs = Vec::new();
        walk(&resolved, &mut |p| {
            let rel = p.strip_prefix(&resolved).unwrap_or(p);
            if let Ok(Some(d)) = device_at(p, &Path::new(in_container).join(rel)) {
                devs.push(d);
            }
        });
        if !devs.is_empty() {
            let rules = devs
                .iter()
                .map(|d| allow_rule(d, permissions))
                .collect::<Result<_, _>>()?;
            return Ok((devs, rules));
        }
    }
    Err(err("not a device node".into()))
}

/// Visits every non-directory entry under `dir` (errors skipped, symlinks not followed).
fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, f),
            Ok(_) => f(&p),
            Err(_) => {}
        }
    }
}

/// Every block and character device under `dev` (the host's `/dev`), skipping `pts`, `shm`,
/// `fd`, `mqueue`, `.lxc`, `.lxd-mounts`, `.udev` and `console`, as containerd does.
pub fn host_devices(dev: &Path) -> Result<Vec<LinuxDevice>, SpecError> {
    let mut out = Vec::new();
    collect(dev, Path::new("/dev"), &mut out)?;
    Ok(out)
}

fn collect(dir: &Path, in_container: &Path, out: &mut Vec<LinuxDevice>) -> Result<(), SpecError> {
    let io = |source| SpecError::HostDevices {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"].contains(&name) {
                continue;
            }
            collect(&e.path(), &in_container.join(name), out)?;
        } else if name != "console" {
            match device_at(&e.path(), &in_container.join(name)) {
                Ok(Some(d)) => out.push(d),
                Ok(None) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(SpecError::HostDevices {
                        path: dir.to_path_buf(),
                        source,
                    })
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_null_is_char_1_3() {
        let (devs, rules) = devices_from_path("/dev/null", "/dev/mynull", "rw").unwrap();
        assert_eq!(devs.len(), 1);
        assert_eq!(devs[0].path(), Path::new("/dev/mynull"));
        assert_eq!(
            (devs[0].typ(), devs[0].major(), devs[0].minor()),
            (LinuxDeviceType::C, 1, 3)
        );
        assert_eq!(rules[0].access().as_deref(), Some("rw"));
        assert!(rules[0].allow());
    }

    #[test]
    fn default_container_path_and_permissions() {
        let (devs, rules) = devices_from_path("/dev/zero", "", "").unwrap();
        assert_eq!(devs[0].path(), Path::new("/dev/zero"));
        assert_eq!(rules[0].access().as_deref(), Some("rwm"));
    }

    #[test]
    fn not_a_device() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("file");
        std::fs::write(&f, "").unwrap();
        let e = devices_from_path(f.to_str().unwrap(), "/dev/x", "rwm").unwrap_err();
        assert!(e.to_string().contains("not a device node"), "{e}");
        assert!(devices_from_path("/nope", "/dev/x", "rwm").is_err());
        assert!(devices_from_path("/dev/null", "/dev/x", "rwx").is_err());
    }

    #[test]
    fn host_devices_include_null_and_skip_pts() {
        let devs = host_devices(Path::new("/dev")).unwrap();
        assert!(devs.iter().any(|d| d.path() == Path::new("/dev/null")));
        assert!(devs.iter().all(|d| !d.path().starts_with("/dev/pts")));
        assert!(devs.iter().all(|d| d.path() != Path::new("/dev/console")));
    }
}
