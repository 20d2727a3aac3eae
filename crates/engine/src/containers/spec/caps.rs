//! Capabilities: Docker's default set, `--cap-add`/`--cap-drop` (with or without `CAP_`,
//! any case, `ALL`) and `--privileged` (every capability the kernel knows), as moby's
//! `oci/caps.TweakCapabilities`.

use oci_spec::runtime::Capability;

use super::SpecError;

/// Every capability with its kernel number, in number order (capabilities(7)).
const ALL: &[(&str, u32, Capability)] = &[
    ("CAP_CHOWN", 0, Capability::Chown),
    ("CAP_DAC_OVERRIDE", 1, Capability::DacOverride),
    ("CAP_DAC_READ_SEARCH", 2, Capability::DacReadSearch),
    ("CAP_FOWNER", 3, Capability::Fowner),
    ("CAP_FSETID", 4, Capability::Fsetid),
    ("CAP_KILL", 5, Capability::Kill),
    ("CAP_SETGID", 6, Capability::Setgid),
    ("CAP_SETUID", 7, Capability::Setuid),
    ("CAP_SETPCAP", 8, Capability::Setpcap),
    ("CAP_LINUX_IMMUTABLE", 9, Capability::LinuxImmutable),
    ("CAP_NET_BIND_SERVICE", 10, Capability::NetBindService),
    ("CAP_NET_BROADCAST", 11, Capability::NetBroadcast),
    ("CAP_NET_ADMIN", 12, Capability::NetAdmin),
    ("CAP_NET_RAW", 13, Capability::NetRaw),
    ("CAP_IPC_LOCK", 14, Capability::IpcLock),
    ("CAP_IPC_OWNER", 15, Capability::IpcOwner),
    ("CAP_SYS_MODULE", 16, Capability::SysModule),
    ("CAP_SYS_RAWIO", 17, Capability::SysRawio),
    ("CAP_SYS_CHROOT", 18, Capability::SysChroot),
    ("CAP_SYS_PTRACE", 19, Capability::SysPtrace),
    ("CAP_SYS_PACCT", 20, Capability::SysPacct),
    ("CAP_SYS_ADMIN", 21, Capability::SysAdmin),
    ("CAP_SYS_BOOT", 22, Capability::SysBoot),
    ("CAP_SYS_NICE", 23, Capability::SysNice),
    ("CAP_SYS_RESOURCE", 24, Capability::SysResource),
    ("CAP_SYS_TIME", 25, Capability::SysTime),
    ("CAP_SYS_TTY_CONFIG", 26, Capability::SysTtyConfig),
    ("CAP_MKNOD", 27, Capability::Mknod),
    ("CAP_LEASE", 28, Capability::Lease),
    ("CAP_AUDIT_WRITE", 29, Capability::AuditWrite),
    ("CAP_AUDIT_CONTROL", 30, Capability::AuditControl),
    ("CAP_SETFCAP", 31, Capability::Setfcap),
    ("CAP_MAC_OVERRIDE", 32, Capability::MacOverride),
    ("CAP_MAC_ADMIN", 33, Capability::MacAdmin),
    ("CAP_SYSLOG", 34, Capability::Syslog),
    ("CAP_WAKE_ALARM", 35, Capability::WakeAlarm),
    ("CAP_BLOCK_SUSPEND", 36, Capability::BlockSuspend),
    ("CAP_AUDIT_READ", 37, Capability::AuditRead),
    ("CAP_PERFMON", 38, Capability::Perfmon),
    ("CAP_BPF", 39, Capability::Bpf),
    ("CAP_CHECKPOINT_RESTORE", 40, Capability::CheckpointRestore),
];

/// Docker's default capabilities (moby `oci/caps/defaults.go`), in Docker's order.
pub const DEFAULT_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// The oci-spec value of a `CAP_*` name.
pub fn capability(name: &str) -> Option<Capability> {
    ALL.iter().find(|(n, _, _)| *n == name).map(|(_, _, c)| *c)
}

/// Every capability the running kernel supports (`/proc/sys/kernel/cap_last_cap`; all
/// known ones when that file cannot be read), as Docker's `GetAllCapabilities`.
pub fn all_caps(cap_last_cap: Option<u32>) -> Vec<String> {
    ALL.iter()
        .filter(|(_, n, _)| match cap_last_cap {
            Some(last) => *n <= last,
            None => true,
        })
        .map(|(name, _, _)| (*name).to_string())
        .collect()
}

/// The kernel's highest capability number, if readable.
pub fn host_cap_last_cap() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Upper-cases and prefixes `CAP_` (keeping `ALL`), rejecting unknown names, as Docker's
/// `NormalizeLegacyCapabilities`.
fn normalize(caps: &[String]) -> Result<Vec<String>, SpecError> {
    caps.iter()
        .map(|c| {
            let up = c.trim().to_uppercase();
            if up == "ALL" {
                return Ok(up);
            }
            let name = if up.starts_with("CAP_") {
                up
            } else {
                format!("CAP_{up}")
            };
            if capability(&name).is_none() {
                return Err(SpecError::UnknownCapability { cap: name });
            }
            Ok(name)
        })
        .collect()
}

/// The container's capability names: Docker's defaults tweaked by `add`/`drop`, or all of
/// them when privileged. Order: Docker's (defaults minus drops, then adds).
pub fn tweak(
    add: &[String],
    drop: &[String],
    privileged: bool,
    cap_last_cap: Option<u32>,
) -> Result<Vec<String>, SpecError> {
    if privileged {
        return Ok(all_caps(cap_last_cap));
    }
    let defaults: Vec<String> = DEFAULT_CAPS.iter().map(|c| (*c).to_string()).collect();
    if add.is_empty() && drop.is_empty() {
        return Ok(defaults);
    }
    let drop = normalize(drop)?;
    let add = normalize(add)?;
    let all = "ALL".to_string();
    let mut caps: Vec<String> = if add.contains(&all) {
        all_caps(cap_last_cap)
            .into_iter()
            .filter(|c| !drop.contains(c))
            .collect()
    } else if drop.contains(&all) {
        add
    } else {
        let mut caps: Vec<String> = defaults.into_iter().filter(|c| !drop.contains(c)).collect();
        caps.extend(add);
        caps
    };
    // Docker may list a cap twice (`--cap-add CHOWN`); the spec's sets collapse it anyway.
    let mut seen = std::collections::HashSet::new();
    caps.retain(|c| seen.insert(c.clone()));
    Ok(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn default_is_dockers_fourteen() {
        let caps = tweak(&[], &[], false, Some(40)).unwrap();
        assert_eq!(caps.len(), 14);
        assert_eq!(caps, s(&DEFAULT_CAPS));
        for c in &caps {
            assert!(capability(c).is_some(), "{c}");
        }
    }

    #[test]
    fn add_and_drop_with_or_without_prefix_any_case() {
        let caps = tweak(
            &s(&["sys_admin", "CAP_NET_ADMIN"]),
            &s(&["chown", "CAP_KILL"]),
            false,
            None,
        )
        .unwrap();
        assert!(caps.contains(&"CAP_SYS_ADMIN".to_string()));
        assert!(caps.contains(&"CAP_NET_ADMIN".to_string()));
        assert!(!caps.contains(&"CAP_CHOWN".to_string()));
        assert!(!caps.contains(&"CAP_KILL".to_string()));
        assert_eq!(caps.len(), 14);
    }

    #[test]
    fn all_in_add_or_drop() {
        let caps = tweak(&s(&["ALL"]), &s(&["NET_RAW"]), false, Some(40)).unwrap();
        assert_eq!(caps.len(), 40);
        assert!(!caps.contains(&"CAP_NET_RAW".to_string()));
        let caps = tweak(&s(&["chown"]), &s(&["all"]), false, Some(40)).unwrap();
        assert_eq!(caps, s(&["CAP_CHOWN"]));
        let caps = tweak(&[], &s(&["ALL"]), false, Some(40)).unwrap();
        assert!(caps.is_empty());
    }

    #[test]
    fn privileged_gets_what_the_kernel_knows() {
        assert_eq!(tweak(&[], &[], true, Some(40)).unwrap().len(), 41);
        assert_eq!(tweak(&[], &[], true, Some(37)).unwrap().len(), 38);
        assert_eq!(tweak(&[], &[], true, None).unwrap().len(), 41);
    }

    #[test]
    fn unknown_cap_is_an_error_naming_it() {
        let e = tweak(&s(&["FLY"]), &[], false, None).unwrap_err();
        assert_eq!(e.to_string(), "unknown capability: \"CAP_FLY\"");
    }
}
