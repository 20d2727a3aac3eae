//! Unit tests of the seccomp compiler: profiles compiled, cached, loaded in forked
//! children, and the two program layouts compared by emulation.

use super::*;
use crate::security::testutil::in_child;
use nix::errno::Errno;
use nix::sys::stat::Mode;

/// A Docker-like profile: default ERRNO(EPERM), an allow-list, clone flags checked with
/// MASKED_EQ, personality with two conditions on the same argument (OR), a syscall that
/// exists only on x86 and one that exists nowhere.
const DOCKER_LIKE: &str = r#"{
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
        {"names": ["read", "write", "openat", "close", "execve", "exit_group", "getpid",
                   "mmap", "brk", "futex", "rt_sigaction", "socketcall", "no_such_syscall_xyz"],
         "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"},
                  {"index": 1, "value": 3, "op": "SCMP_CMP_LE"}]},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}
    ]
}"#;

#[test]
fn compiles_docker_like_profile_and_skips_unknown_syscalls() {
    let s = parse(DOCKER_LIKE).unwrap();
    let f = compile(&s).unwrap();
    let (ctx, _) = build(&s).unwrap();
    // socketcall is not an x86_64 syscall, but libseccomp knows it (for the x86 arch of
    // this filter) and resolves it to a pseudo number; only names it has never heard of
    // are skipped.
    assert_eq!(f.skipped_syscalls(), ["no_such_syscall_xyz"]);
    // reboot → ERRNO(EPERM) equals the default action: skipped, not an error.
    assert!(ctx.is_arch_present(ScmpArch::X86).unwrap());
    assert!(ctx.get_ctl_log().unwrap());
    assert!(!ctx.get_ctl_nnp().unwrap());
    assert_eq!(f.flags, libc::SECCOMP_FILTER_FLAG_LOG);
    assert!(!f.program.is_empty());
}

#[test]
fn unknown_names_are_typed_errors() {
    let with = |k: &str, v: &str| format!(r#"{{"defaultAction": "SCMP_ACT_ALLOW", "{k}": {v}}}"#);
    assert!(matches!(
        parse(r#"{"defaultAction": "SCMP_ACT_EXPLODE"}"#),
        Err(SeccompError::UnknownAction { name, .. }) if name == "SCMP_ACT_EXPLODE"
    ));
    assert!(matches!(
        parse(&with("architectures", r#"["SCMP_ARCH_PDP11"]"#)),
        Err(SeccompError::UnknownArch { name, .. }) if name == "SCMP_ARCH_PDP11"
    ));
    assert!(matches!(
        parse(&with("flags", r#"["SECCOMP_FILTER_FLAG_NEW_LISTENER"]"#)),
        Err(SeccompError::UnknownFlag { name, .. }) if name == "SECCOMP_FILTER_FLAG_NEW_LISTENER"
    ));
    let e = parse(&with(
        "syscalls",
        r#"[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]"#,
    ))
    .unwrap_err();
    assert!(e.to_string().contains("syscalls[0].args[0].op"), "{e}");
    assert!(matches!(parse("{"), Err(SeccompError::Parse { .. })));
}

#[test]
fn notify_listener_and_bad_index_are_rejected() {
    let notify = parse(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}"#).unwrap();
    let e = compile(&notify).unwrap_err();
    assert!(matches!(e, SeccompError::NotifyUnsupported { .. }), "{e}");
    let listener =
        parse(r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}"#).unwrap();
    assert!(matches!(
        compile(&listener),
        Err(SeccompError::ListenerUnsupported { .. })
    ));
    let idx = parse(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#).unwrap();
    assert!(matches!(
        compile(&idx),
        Err(SeccompError::ArgIndex { index: 6, .. })
    ));
}

#[test]
fn feature_lists_use_spec_names() {
    for a in supported_actions() {
        serde_json::from_value::<LinuxSeccompAction>(a.clone().into()).unwrap();
    }
    for a in supported_archs() {
        serde_json::from_value::<Arch>(a.clone().into()).unwrap();
    }
    for o in supported_operators() {
        serde_json::from_value::<LinuxSeccompOperator>(o.clone().into()).unwrap();
    }
    for f in known_flags() {
        serde_json::from_value::<LinuxSeccompFilterFlag>(f.clone().into()).unwrap();
    }
    assert!(supported_archs().contains(&"SCMP_ARCH_X86_64".to_owned()));
    assert!(supported_operators().contains(&"SCMP_CMP_MASKED_EQ".to_owned()));
    assert!(!supported_actions().contains(&"SCMP_ACT_NOTIFY".to_owned()));
    assert!(supported_flags().contains(&"SECCOMP_FILTER_FLAG_TSYNC".to_owned()));
}

fn errno_of(r: nix::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e as i32,
    }
}

/// Loads `profile` in a forked child, then runs `probe`, whose return is the exit code.
fn run_filtered(profile: &str, probe: impl FnOnce() -> i32) -> i32 {
    let filter = compile(&parse(profile).unwrap()).unwrap();
    in_child(|| match filter.load() {
        Ok(()) => probe(),
        Err(_) => 100,
    })
}

#[test]
fn errno_rule_blocks_mkdir_but_not_getpid() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blocked");
    let profile = r#"{"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}"#;
    let code = run_filtered(profile, || {
        if nix::unistd::getpid().as_raw() <= 0 {
            return 101;
        }
        errno_of(nix::unistd::mkdir(&target, Mode::from_bits_truncate(0o755)))
    });
    assert_eq!(code, Errno::EPERM as i32);
    assert!(!target.exists());
}

/// The cached program is the compiled one and still denies what the profile denies;
/// a damaged cache file is detected, recompiled and rewritten, never loaded.
#[test]
fn cached_program_denies_like_the_compiled_one_and_damage_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = parse(
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let fresh = compile(&profile).unwrap();
    let first = compile_cached(&profile, cache.path()).unwrap();
    assert_eq!(first, fresh);
    let files: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let good = std::fs::read(file).unwrap();
    let from_cache = compile_cached(&profile, cache.path()).unwrap();
    assert_eq!(from_cache, fresh);

    let probe = |f: &SeccompFilter, name: &str| {
        let target = dir.path().join(name);
        let f = f.clone();
        in_child(move || match f.load() {
            Ok(()) => errno_of(nix::unistd::mkdir(&target, Mode::from_bits_truncate(0o755))),
            Err(_) => 100,
        })
    };
    assert_eq!(probe(&from_cache, "a"), Errno::EPERM as i32);

    // Tampered: turn the first "return ERRNO" into "return ALLOW" (and the like),
    // without fixing the digest. It must not be used.
    let mut bad = good.clone();
    let prog_start = 8 + 32 + 8;
    for insn in bad[prog_start..good.len() - 32].chunks_exact_mut(8) {
        if insn[4..8] == (libc::SECCOMP_RET_ERRNO | libc::EPERM as u32).to_ne_bytes() {
            insn[4..8].copy_from_slice(&libc::SECCOMP_RET_ALLOW.to_ne_bytes());
        }
    }
    assert_ne!(bad, good, "the program has no ERRNO return to tamper with");
    std::fs::write(file, &bad).unwrap();
    let after_tamper = compile_cached(&profile, cache.path()).unwrap();
    assert_eq!(after_tamper, fresh);
    assert_eq!(probe(&after_tamper, "b"), Errno::EPERM as i32);
    assert_eq!(
        std::fs::read(file).unwrap(),
        good,
        "the damaged file was not replaced"
    );

    // Short file: same.
    std::fs::write(file, &good[..good.len() / 2]).unwrap();
    assert_eq!(compile_cached(&profile, cache.path()).unwrap(), fresh);
    assert_eq!(std::fs::read(file).unwrap(), good);
    assert!(!dir.path().join("a").exists() && !dir.path().join("b").exists());

    // Another profile gets another file.
    let other = parse(
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#,
    )
    .unwrap();
    assert_ne!(compile_cached(&other, cache.path()).unwrap(), fresh);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
}

#[test]
fn errno_ret_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blocked");
    let profile = r#"{"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#;
    let code = run_filtered(profile, || {
        errno_of(nix::unistd::mkdir(&target, Mode::from_bits_truncate(0o755)))
    });
    assert_eq!(code, 38);
}

#[test]
fn masked_eq_matches_only_the_masked_bits() {
    // Deny mkdir/mkdirat when the mode is world-executable: (mode & 0o001) == 0o001.
    let dir = tempfile::tempdir().unwrap();
    let (open, private) = (dir.path().join("open"), dir.path().join("private"));
    let profile = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 1, "value": 1, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 2, "value": 1, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#;
    let code = run_filtered(profile, || {
        let denied = errno_of(nix::unistd::mkdir(&open, Mode::from_bits_truncate(0o755)));
        let allowed = errno_of(nix::unistd::mkdir(
            &private,
            Mode::from_bits_truncate(0o700),
        ));
        if allowed != 0 {
            return 102;
        }
        denied
    });
    assert_eq!(code, Errno::EPERM as i32);
    assert!(private.exists() && !open.exists());
}

/// Runs a classic-BPF seccomp program on `data` (a `struct seccomp_data`) as the
/// kernel does, for the instructions libseccomp emits; panics on any other.
fn emulate(prog: &[libc::sock_filter], data: &[u8; 64]) -> u32 {
    let (mut a, mut x, mut mem) = (0u32, 0u32, [0u32; 16]);
    let mut pc = 0;
    loop {
        let i = prog[pc];
        pc += 1;
        let k = i.k as usize;
        match i.code {
            0x20 => a = u32::from_ne_bytes(data[k..k + 4].try_into().unwrap()),
            0x00 => a = i.k,
            0x60 => a = mem[k],
            0x61 => x = mem[k],
            0x02 => mem[k] = a,
            0x03 => mem[k] = x,
            0x54 => a &= i.k,
            0x07 => x = a,
            0x87 => a = x,
            0x05 => pc += k,
            0x15 | 0x25 | 0x35 | 0x45 => {
                let taken = match i.code {
                    0x15 => a == i.k,
                    0x25 => a > i.k,
                    0x35 => a >= i.k,
                    _ => a & i.k != 0,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            0x06 => return i.k,
            0x16 => return a,
            code => panic!("BPF opcode {code:#x} at {} not emulated", pc - 1),
        }
    }
}

/// The tree layout decides exactly as libseccomp's linear one: every syscall number
/// of the three x86 ABIs (and an unknown architecture), with arguments that hit and
/// miss each kind of condition, under a profile with a few hundred rules.
#[test]
fn the_tree_layout_decides_as_the_linear_one() {
    let mut profile: serde_json::Value = serde_json::from_str(DOCKER_LIKE).unwrap();
    let ruled = ["personality", "clone", "socket", "clone3", "reboot"];
    let many: Vec<String> = (0..450)
        .filter(|nr| nr % 3 != 0)
        .filter_map(|nr| ScmpSyscall::from(nr).get_name_by_arch(ScmpArch::X8664).ok())
        .filter(|n| !ruled.contains(&n.as_str()))
        .collect();
    assert!(many.len() > 200, "{}", many.len());
    profile["syscalls"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"names": many, "action": "SCMP_ACT_ALLOW"}));
    let s = parse(&profile.to_string()).unwrap();
    let program = |layout| export(&build_as(&s, layout).unwrap().0).unwrap();
    let (linear, tree) = (program(Layout::Linear), program(Layout::Tree));
    assert_ne!(linear, tree, "libseccomp made no tree");

    const X86_64: u32 = 0xC000_003E;
    const I386: u32 = 0x4000_0003;
    const X32_BIT: u32 = 0x4000_0000;
    let values: [u64; 11] = [
        0,
        1,
        3,
        4,
        8,
        40,
        0x2_0000,
        0x7E02_0000,
        0xFFFF_FFFF,
        0x1_0000_0008,
        u64::MAX,
    ];
    let mut checked = 0;
    for (arch, base) in [(X86_64, 0), (X86_64, X32_BIT), (I386, 0), (0x1234, 0)] {
        for nr in 0..600u32 {
            for v0 in values {
                for v1 in values {
                    let mut data = [0u8; 64];
                    data[0..4].copy_from_slice(&(base | nr).to_ne_bytes());
                    data[4..8].copy_from_slice(&arch.to_ne_bytes());
                    data[16..24].copy_from_slice(&v0.to_ne_bytes());
                    data[24..32].copy_from_slice(&v1.to_ne_bytes());
                    assert_eq!(
                        emulate(&linear, &data),
                        emulate(&tree, &data),
                        "arch {arch:#x} nr {:#x} args {v0:#x} {v1:#x}",
                        base | nr
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 600 * 121);
}
