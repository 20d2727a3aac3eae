//! Docker's fixed defaults (moby `daemon/pkg/oci/defaults.go`): the kernel filesystems every
//! container gets, the masked and read-only `/proc`/`/sys` paths, the device cgroup rules
//! and the default `PATH`.

use std::path::Path;

use oci_spec::runtime::{
    LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType, Mount, MountBuilder,
};

use super::SpecError;

/// `PATH` when the image sets none.
pub const DEFAULT_PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `/dev/shm` size when `--shm-size` is not given: 64 MiB.
pub const DEFAULT_SHM_SIZE: i64 = 64 << 20;

/// Docker's masked paths, without the host-dependent `thermal_throttle` ones
/// ([`masked_paths`] adds those).
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
];

/// Docker's read-only paths.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// [`MASKED_PATHS`] plus `/sys/devices/system/cpu/cpuN/thermal_throttle` for each possible
/// CPU where it exists (under `sys`, the host's `/sys`), as Docker does.
pub fn masked_paths(sys: &Path) -> Vec<String> {
    let mut out: Vec<String> = MASKED_PATHS.iter().map(|p| (*p).to_string()).collect();
    let possible =
        std::fs::read_to_string(sys.join("devices/system/cpu/possible")).unwrap_or_default();
    for cpu in parse_cpu_list(possible.trim()) {
        let rel = format!("devices/system/cpu/cpu{cpu}/thermal_throttle");
        if sys.join(&rel).exists() {
            out.push(format!("/sys/{rel}"));
        }
    }
    out
}

/// `0-3,8` → 0,1,2,3,8 (the kernel's cpu list format); bad parts are skipped.
fn parse_cpu_list(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a..=b.min(a.saturating_add(4096)));
                }
            }
            None => out.extend(part.parse::<u32>().ok()),
        }
    }
    out
}

fn mount(dest: &str, kind: &str, source: &str, options: &[&str]) -> Result<Mount, SpecError> {
    Ok(MountBuilder::default()
        .destination(dest)
        .typ(kind)
        .source(source)
        .options(options.iter().map(|o| (*o).to_string()).collect::<Vec<_>>())
        .build()?)
}

/// The kernel filesystems, in Docker's order. `/dev/shm` already carries its size.
pub fn default_mounts(shm_size: i64) -> Result<Vec<Mount>, SpecError> {
    let size = if shm_size > 0 {
        shm_size
    } else {
        DEFAULT_SHM_SIZE
    };
    let shm_size_opt = format!("size={size}");
    Ok(vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["ro", "nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", &shm_size_opt],
        )?,
    ])
}

fn rule(allow: bool, major: i64, minor: i64) -> Result<LinuxDeviceCgroup, SpecError> {
    Ok(LinuxDeviceCgroupBuilder::default()
        .allow(allow)
        .typ(LinuxDeviceType::C)
        .major(major)
        .minor(minor)
        .access("rwm")
        .build()?)
}

/// Docker's device cgroup rules: deny everything, allow null, zero, full, urandom, random,
/// tty, console, deny fuse (the runtime adds runc's own defaults — mknod, ptmx, pts — after
/// these, as runc does for Docker).
pub fn device_rules() -> Result<Vec<LinuxDeviceCgroup>, SpecError> {
    Ok(vec![
        LinuxDeviceCgroupBuilder::default()
            .allow(false)
            .access("rwm")
            .build()?,
        rule(true, 1, 5)?,
        rule(true, 1, 3)?,
        rule(true, 1, 9)?,
        rule(true, 1, 8)?,
        rule(true, 5, 0)?,
        rule(true, 5, 1)?,
        rule(false, 10, 229)?,
    ])
}

/// `--privileged`: one rule allowing every device.
pub fn device_rules_privileged() -> Result<Vec<LinuxDeviceCgroup>, SpecError> {
    Ok(vec![LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .access("rwm")
        .build()?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_paths_are_dockers_plus_existing_thermal_throttle() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("devices/system/cpu/cpu1/thermal_throttle")).unwrap();
        std::fs::write(d.path().join("devices/system/cpu/possible"), "0-1\n").unwrap();
        let m = masked_paths(d.path());
        assert_eq!(&m[..12], &MASKED_PATHS.map(String::from)[..]);
        assert_eq!(
            m[12..],
            ["/sys/devices/system/cpu/cpu1/thermal_throttle".to_string()]
        );
        assert_eq!(m.len(), 13);
    }

    #[test]
    fn cpu_list() {
        assert_eq!(parse_cpu_list("0-3,8"), vec![0, 1, 2, 3, 8]);
        assert_eq!(parse_cpu_list("0"), vec![0]);
        assert!(parse_cpu_list("").is_empty());
    }

    #[test]
    fn shm_size_default_and_given() {
        let m = default_mounts(0).unwrap();
        let shm = m
            .iter()
            .find(|m| m.destination() == Path::new("/dev/shm"))
            .unwrap();
        assert!(shm
            .options()
            .as_ref()
            .unwrap()
            .contains(&"size=67108864".to_string()));
        let m = default_mounts(128 << 20).unwrap();
        let shm = m
            .iter()
            .find(|m| m.destination() == Path::new("/dev/shm"))
            .unwrap();
        assert!(shm
            .options()
            .as_ref()
            .unwrap()
            .contains(&"size=134217728".to_string()));
        let dests: Vec<_> = m
            .iter()
            .map(|m| m.destination().display().to_string())
            .collect();
        assert_eq!(
            dests,
            [
                "/proc",
                "/dev",
                "/dev/pts",
                "/sys",
                "/sys/fs/cgroup",
                "/dev/mqueue",
                "/dev/shm"
            ]
        );
    }

    #[test]
    fn device_rules_deny_first_then_allow() {
        let r = device_rules().unwrap();
        assert_eq!(r.len(), 8);
        assert!(!r[0].allow());
        assert_eq!(r[0].major(), None);
        assert!(r[1].allow());
        assert_eq!(
            (r[7].major(), r[7].minor(), r[7].allow()),
            (Some(10), Some(229), false)
        );
    }
}
