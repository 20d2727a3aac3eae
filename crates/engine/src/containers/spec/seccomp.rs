//! Seccomp: Docker's profile format (`defaultAction`, `architectures` or `archMap`,
//! `syscalls[{name|names, action, errnoRet, args, includes, excludes}]`) and the filter that
//! turns it into the OCI `LinuxSeccomp` for this host's architecture, kernel and the
//! container's capabilities (moby `profiles/seccomp.setupSeccomp`).
//!
//! `--security-opt seccomp=unconfined` → no filter; `seccomp=builtin` or nothing → Docker's
//! default ([`super::seccomp_default`]); `seccomp=/path.json` (or the JSON text itself, as the
//! Docker API sends it) → that profile.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArgBuilder, LinuxSeccompBuilder,
    LinuxSeccompFilterFlag, LinuxSeccompOperator, LinuxSyscall, LinuxSyscallBuilder,
};
use serde::Deserialize;

use super::SpecError;

/// A profile in Docker's format.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    pub default_action: Option<LinuxSeccompAction>,
    pub default_errno_ret: Option<u32>,
    /// Explicit architectures (exclusive with `arch_map`).
    pub architectures: Vec<String>,
    /// Per native architecture, the ones it can also run (`x86_64` → `x86`, `x32`).
    pub arch_map: Vec<ArchMap>,
    pub flags: Vec<LinuxSeccompFilterFlag>,
    pub listener_path: Option<PathBuf>,
    pub listener_metadata: Option<String>,
    pub syscalls: Vec<Syscall>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ArchMap {
    pub architecture: String,
    pub sub_architectures: Vec<String>,
}

/// One rule; `includes`/`excludes` decide whether it applies to this container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Syscall {
    pub name: String,
    pub names: Vec<String>,
    pub action: LinuxSeccompAction,
    pub errno_ret: Option<u32>,
    pub args: Vec<Arg>,
    pub comment: String,
    pub includes: Option<Filter>,
    pub excludes: Option<Filter>,
}

/// A condition on one argument: `op` compares argument `index` with `value` (for
/// `SCMP_CMP_MASKED_EQ`: `arg & value == value_two`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Arg {
    pub index: usize,
    pub value: u64,
    pub value_two: u64,
    pub op: LinuxSeccompOperator,
}

/// Conditions on capabilities (`CAP_*`, all required), architectures (Go names: `amd64`,
/// `arm64`, `x86`…, any) and the kernel version (`"4.8"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Filter {
    pub caps: Vec<String>,
    pub arches: Vec<String>,
    pub min_kernel: Option<String>,
}

/// What the filter needs to know about the host and the container.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Docker's (Go) name of the native architecture: `amd64`, `arm64`, `s390x`…
    pub arch: &'a str,
    /// `(major, minor)` of the running kernel; `None` = assume a recent one.
    pub kernel: Option<(u64, u64)>,
    /// The bounding capabilities (`CAP_*`).
    pub caps: &'a [String],
}

/// Docker's name of the architecture berth was built for.
pub fn native_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        "mips64" => "mips64",
        other => other,
    }
}

/// The running kernel's `(major, minor)`, from `/proc/sys/kernel/osrelease`.
pub fn host_kernel() -> Option<(u64, u64)> {
    let rel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    parse_kernel(rel.trim())
}

fn parse_kernel(s: &str) -> Option<(u64, u64)> {
    let mut it = s.split(['.', '-']);
    let major = it.next()?.parse().ok()?;
    let minor = it
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((major, minor))
}

/// The seccomp architecture constant for a Go architecture name.
fn seccomp_arch_name(go_arch: &str) -> Option<&'static str> {
    Some(match go_arch {
        "x86" | "386" => "SCMP_ARCH_X86",
        "amd64" => "SCMP_ARCH_X86_64",
        "arm" => "SCMP_ARCH_ARM",
        "arm64" => "SCMP_ARCH_AARCH64",
        "loong64" | "loongarch64" => "SCMP_ARCH_LOONGARCH64",
        "mips64" => "SCMP_ARCH_MIPS64",
        "mips64n32" => "SCMP_ARCH_MIPS64N32",
        "mipsel64" => "SCMP_ARCH_MIPSEL64",
        "mipsel" | "mipsle" => "SCMP_ARCH_MIPSEL",
        "ppc" => "SCMP_ARCH_PPC",
        "ppc64" => "SCMP_ARCH_PPC64",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "riscv64" => "SCMP_ARCH_RISCV64",
        "s390" => "SCMP_ARCH_S390",
        "s390x" => "SCMP_ARCH_S390X",
        _ => return None,
    })
}

fn parse_arch(name: &str) -> Result<Arch, SpecError> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
        SpecError::SeccompProfile {
            reason: format!("unknown architecture {name:?}"),
        }
    })
}

fn version_at_least(have: Option<(u64, u64)>, want: &str) -> Result<bool, SpecError> {
    let want = parse_kernel(want).ok_or_else(|| SpecError::SeccompProfile {
        reason: format!("invalid kernel version: {want:?}, expected \"<kernel>.<major>\""),
    })?;
    Ok(match have {
        Some(have) => have >= want,
        None => true,
    })
}

/// Reads a profile given as JSON text or as the path of a JSON file.
pub fn load_profile(value: &str) -> Result<Profile, SpecError> {
    let text = if value.trim_start().starts_with('{') {
        value.to_string()
    } else {
        std::fs::read_to_string(Path::new(value)).map_err(|source| {
            SpecError::SeccompProfileRead {
                path: value.into(),
                source,
            }
        })?
    };
    serde_json::from_str(&text).map_err(|source| SpecError::SeccompProfileParse { source })
}

/// Filters `profile` for `target`: `None` when the profile is empty (Docker: no default
/// action and no syscalls means no filter).
pub fn setup(profile: &Profile, target: &Target<'_>) -> Result<Option<LinuxSeccomp>, SpecError> {
    if profile.default_action.is_none() && profile.syscalls.is_empty() {
        return Ok(None);
    }
    if !profile.architectures.is_empty() && !profile.arch_map.is_empty() {
        return Err(SpecError::SeccompProfile {
            reason: "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'".into(),
        });
    }
    let mut arches = profile
        .architectures
        .iter()
        .map(|a| parse_arch(a))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(native) = seccomp_arch_name(target.arch) {
        if let Some(entry) = profile.arch_map.iter().find(|m| m.architecture == native) {
            arches.push(parse_arch(&entry.architecture)?);
            for sub in &entry.sub_architectures {
                arches.push(parse_arch(sub)?);
            }
        }
    }
    let mut rules: Vec<LinuxSyscall> = Vec::new();
    for call in &profile.syscalls {
        if !applies(call, target)? {
            continue;
        }
        let names = match (call.name.is_empty(), call.names.is_empty()) {
            (false, false) => {
                return Err(SpecError::SeccompProfile {
                    reason: "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'".into(),
                })
            }
            (false, true) => vec![call.name.clone()],
            _ => call.names.clone(),
        };
        let mut b = LinuxSyscallBuilder::default()
            .names(names)
            .action(call.action);
        if let Some(e) = call.errno_ret {
            b = b.errno_ret(e);
        }
        if !call.args.is_empty() {
            let args = call
                .args
                .iter()
                .map(|a| {
                    LinuxSeccompArgBuilder::default()
                        .index(a.index)
                        .value(a.value)
                        .value_two(a.value_two)
                        .op(a.op)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            b = b.args(args);
        }
        rules.push(b.build()?);
    }
    let mut b = LinuxSeccompBuilder::default()
        .default_action(
            profile
                .default_action
                .unwrap_or(LinuxSeccompAction::ScmpActAllow),
        )
        .syscalls(rules);
    if let Some(e) = profile.default_errno_ret {
        b = b.default_errno_ret(e);
    }
    if !arches.is_empty() {
        b = b.architectures(arches);
    }
    if !profile.flags.is_empty() {
        b = b.flags(profile.flags.clone());
    }
    if let Some(p) = &profile.listener_path {
        b = b.listener_path(p.clone());
    }
    if let Some(m) = &profile.listener_metadata {
        b = b.listener_metadata(m.clone());
    }
    Ok(Some(b.build()?))
}

/// Docker's rule: any exclude that matches drops the rule; every include must match.
fn applies(call: &Syscall, t: &Target<'_>) -> Result<bool, SpecError> {
    if let Some(ex) = &call.excludes {
        if ex.arches.iter().any(|a| a == t.arch) || ex.caps.iter().any(|c| t.caps.contains(c)) {
            return Ok(false);
        }
        if let Some(k) = &ex.min_kernel {
            if version_at_least(t.kernel, k)? {
                return Ok(false);
            }
        }
    }
    if let Some(inc) = &call.includes {
        if !inc.arches.is_empty() && !inc.arches.iter().any(|a| a == t.arch) {
            return Ok(false);
        }
        if !inc.caps.iter().all(|c| t.caps.contains(c)) {
            return Ok(false);
        }
        if let Some(k) = &inc.min_kernel {
            if !version_at_least(t.kernel, k)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::caps::DEFAULT_CAPS;
    use super::super::seccomp_default::default_profile;
    use super::*;

    fn build(caps: &[String]) -> LinuxSeccomp {
        let t = Target {
            arch: "amd64",
            kernel: Some((6, 1)),
            caps,
        };
        setup(&default_profile(), &t).unwrap().unwrap()
    }

    fn defaults() -> Vec<String> {
        DEFAULT_CAPS.iter().map(|c| c.to_string()).collect()
    }

    /// The action for `name` called with no argument conditions, as the first matching
    /// unconditional rule decides (what libseccomp does for rules without args).
    fn unconditional(s: &LinuxSeccomp, name: &str) -> Option<(LinuxSeccompAction, Option<u32>)> {
        s.syscalls().as_ref().unwrap().iter().find_map(|r| {
            (r.names().iter().any(|n| n == name) && r.args().is_none())
                .then(|| (r.action(), r.errno_ret()))
        })
    }

    fn mentioned(s: &LinuxSeccomp, name: &str) -> bool {
        s.syscalls()
            .as_ref()
            .unwrap()
            .iter()
            .any(|r| r.names().iter().any(|n| n == name))
    }

    #[test]
    fn default_profile_denies_with_eperm_on_x86_arches() {
        let s = build(&defaults());
        assert_eq!(s.default_action(), LinuxSeccompAction::ScmpActErrno);
        assert_eq!(s.default_errno_ret(), Some(1));
        assert_eq!(
            s.architectures().as_ref().unwrap(),
            &vec![Arch::ScmpArchX86_64, Arch::ScmpArchX86, Arch::ScmpArchX32]
        );
    }

    #[test]
    fn default_profile_allows_the_basics() {
        let s = build(&defaults());
        for n in [
            "read",
            "write",
            "execve",
            "openat",
            "exit_group",
            "chroot",
            "arch_prctl",
            "ptrace",
        ] {
            assert_eq!(
                unconditional(&s, n),
                Some((LinuxSeccompAction::ScmpActAllow, None)),
                "{n}"
            );
        }
        // clone: only without namespace flags; clone3: ENOSYS so libc falls back to clone.
        let clone = s
            .syscalls()
            .as_ref()
            .unwrap()
            .iter()
            .find(|r| r.names() == &["clone"])
            .unwrap();
        let a = clone.args().as_ref().unwrap()[0];
        assert_eq!((a.index(), a.value()), (0, 0x7E02_0000));
        assert_eq!(
            unconditional(&s, "clone3"),
            Some((LinuxSeccompAction::ScmpActErrno, Some(38)))
        );
        // socket: allowed with conditions on the family.
        assert_eq!(
            s.syscalls()
                .as_ref()
                .unwrap()
                .iter()
                .filter(|r| r.names() == &["socket"])
                .count(),
            3
        );
    }

    #[test]
    fn default_profile_denies_privileged_calls() {
        let s = build(&defaults());
        for n in [
            "kexec_load",
            "mount",
            "umount2",
            "unshare",
            "setns",
            "bpf",
            "reboot",
            "init_module",
            "s390_runtime_instr",
            "kcmp",
        ] {
            assert!(!mentioned(&s, n), "{n} should fall to the default EPERM");
        }
    }

    #[test]
    fn sys_admin_opens_mount_and_namespaces() {
        let mut caps = defaults();
        caps.push("CAP_SYS_ADMIN".into());
        let s = build(&caps);
        for n in ["mount", "umount2", "unshare", "setns", "clone", "clone3"] {
            assert_eq!(
                unconditional(&s, n),
                Some((LinuxSeccompAction::ScmpActAllow, None)),
                "{n}"
            );
        }
        // The clone-without-flags and clone3-ENOSYS rules are gone.
        assert!(s
            .syscalls()
            .as_ref()
            .unwrap()
            .iter()
            .all(|r| r.args().is_none() || r.names() != &["clone"]));
        assert!(!mentioned(&s, "kexec_load"));
    }

    #[test]
    fn sys_ptrace_adds_kcmp() {
        let mut caps = defaults();
        caps.push("CAP_SYS_PTRACE".into());
        assert!(mentioned(&build(&caps), "kcmp"));
    }

    #[test]
    fn old_kernel_loses_ptrace() {
        let t = Target {
            arch: "amd64",
            kernel: Some((4, 4)),
            caps: &defaults(),
        };
        let s = setup(&default_profile(), &t).unwrap().unwrap();
        assert!(!mentioned(&s, "ptrace"));
    }

    #[test]
    fn arm64_gets_its_arches_and_calls() {
        let t = Target {
            arch: "arm64",
            kernel: None,
            caps: &defaults(),
        };
        let s = setup(&default_profile(), &t).unwrap().unwrap();
        assert_eq!(
            s.architectures().as_ref().unwrap(),
            &vec![Arch::ScmpArchAarch64, Arch::ScmpArchArm]
        );
        assert!(mentioned(&s, "cacheflush"));
        assert!(!mentioned(&s, "arch_prctl"));
    }

    #[test]
    fn user_profile_in_dockers_format() {
        let json = r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [
                {"name": "chmod", "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
                {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}
            ]
        }"#;
        let p = load_profile(json).unwrap();
        let s = setup(
            &p,
            &Target {
                arch: "amd64",
                kernel: None,
                caps: &defaults(),
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.default_action(), LinuxSeccompAction::ScmpActAllow);
        assert_eq!(
            s.architectures().as_ref().unwrap(),
            &vec![Arch::ScmpArchX86_64]
        );
        let rules = s.syscalls().as_ref().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].names(), &["chmod"]);
        assert_eq!(rules[1].args().as_ref().unwrap()[0].value(), 511);
    }

    #[test]
    fn user_profile_from_a_file_and_bad_ones() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("p.json");
        std::fs::write(&f, r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}"#).unwrap();
        let p = load_profile(f.to_str().unwrap()).unwrap();
        assert!(setup(
            &p,
            &Target {
                arch: "amd64",
                kernel: None,
                caps: &[]
            }
        )
        .unwrap()
        .is_some());
        assert!(matches!(
            load_profile("/nope.json"),
            Err(SpecError::SeccompProfileRead { .. })
        ));
        assert!(matches!(
            load_profile("{nope"),
            Err(SpecError::SeccompProfileParse { .. })
        ));
        let both = load_profile(r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#).unwrap();
        assert!(setup(
            &both,
            &Target {
                arch: "amd64",
                kernel: None,
                caps: &[]
            }
        )
        .is_err());
        let empty = load_profile("{}").unwrap();
        assert!(setup(
            &empty,
            &Target {
                arch: "amd64",
                kernel: None,
                caps: &[]
            }
        )
        .unwrap()
        .is_none());
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel("6.1.0-18-amd64"), Some((6, 1)));
        assert_eq!(parse_kernel("5.15.0+"), Some((5, 15)));
        assert!(version_at_least(Some((4, 8)), "4.8").unwrap());
        assert!(!version_at_least(Some((4, 7)), "4.8").unwrap());
        assert!(version_at_least(Some((5, 0)), "4.8").unwrap());
    }
}
