//! Seccomp: `linux.seccomp` (OCI runtime spec, config-linux.md#seccomp) compiled with
//! libseccomp and loaded into the container's init just before execve.
//!
//! Semantics follow runc (libcontainer/seccomp/seccomp_linux.go):
//! - syscall names unknown on this architecture are skipped, logged at debug level as
//!   runc does (Docker's profile names syscalls newer than this libseccomp);
//! - a rule whose action equals the default action is skipped (libseccomp rejects it);
//! - several `args` on one rule are ANDed, unless two of them test the same argument
//!   index, in which case each condition becomes its own rule (ORed);
//! - `SCMP_CMP_MASKED_EQ`: `value` is the mask, `valueTwo` the expected result;
//! - libseccomp's own NNP attribute is switched off: `process.noNewPrivileges` decides
//!   whether no_new_privs is set (see `super::set_no_new_privileges`), not libseccomp.

use std::io::{Read, Seek};
use std::path::Path;

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompFilterFlag,
    LinuxSeccompOperator, LinuxSyscall,
};

pub use super::error::SeccompError;

/// `errnoRet` used for `SCMP_ACT_ERRNO` / `SCMP_ACT_TRACE` when the config gives none.
const DEFAULT_ERRNO: u32 = libc::EPERM as u32;
/// A syscall has at most six arguments.
const MAX_ARGS: usize = 6;

const ALL_ACTIONS: [LinuxSeccompAction; 9] = [
    LinuxSeccompAction::ScmpActKill,
    LinuxSeccompAction::ScmpActKillThread,
    LinuxSeccompAction::ScmpActKillProcess,
    LinuxSeccompAction::ScmpActTrap,
    LinuxSeccompAction::ScmpActErrno,
    LinuxSeccompAction::ScmpActNotify,
    LinuxSeccompAction::ScmpActTrace,
    LinuxSeccompAction::ScmpActLog,
    LinuxSeccompAction::ScmpActAllow,
];

const ALL_ARCHS: [Arch; 18] = [
    Arch::ScmpArchNative,
    Arch::ScmpArchX86,
    Arch::ScmpArchX86_64,
    Arch::ScmpArchX32,
    Arch::ScmpArchArm,
    Arch::ScmpArchAarch64,
    Arch::ScmpArchMips,
    Arch::ScmpArchMips64,
    Arch::ScmpArchMips64n32,
    Arch::ScmpArchMipsel,
    Arch::ScmpArchMipsel64,
    Arch::ScmpArchMipsel64n32,
    Arch::ScmpArchPpc,
    Arch::ScmpArchPpc64,
    Arch::ScmpArchPpc64le,
    Arch::ScmpArchS390,
    Arch::ScmpArchS390x,
    Arch::ScmpArchRiscv64,
];

const ALL_FLAGS: [LinuxSeccompFilterFlag; 3] = [
    LinuxSeccompFilterFlag::SeccompFilterFlagTsync,
    LinuxSeccompFilterFlag::SeccompFilterFlagLog,
    LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow,
];

const ALL_OPERATORS: [LinuxSeccompOperator; 7] = [
    LinuxSeccompOperator::ScmpCmpNe,
    LinuxSeccompOperator::ScmpCmpLt,
    LinuxSeccompOperator::ScmpCmpLe,
    LinuxSeccompOperator::ScmpCmpEq,
    LinuxSeccompOperator::ScmpCmpGe,
    LinuxSeccompOperator::ScmpCmpGt,
    LinuxSeccompOperator::ScmpCmpMaskedEq,
];

/// A compiled seccomp filter, ready to be loaded with [`SeccompFilter::load`]: the
/// classic-BPF program libseccomp generated, and the seccomp(2) flags of the profile.
#[derive(Clone)]
pub struct SeccompFilter {
    program: Vec<libc::sock_filter>,
    flags: libc::c_ulong,
    skipped: Vec<String>,
}

impl std::fmt::Debug for SeccompFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeccompFilter")
            .field("instructions", &self.program.len())
            .field("flags", &self.flags)
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl PartialEq for SeccompFilter {
    fn eq(&self, other: &Self) -> bool {
        self.flags == other.flags
            && self.skipped == other.skipped
            && self.program.len() == other.program.len()
            && self
                .program
                .iter()
                .zip(&other.program)
                .all(|(a, b)| (a.code, a.jt, a.jf, a.k) == (b.code, b.jt, b.jf, b.k))
    }
}

impl SeccompFilter {
    /// Loads the filter into the kernel for the calling thread (all threads with
    /// `SECCOMP_FILTER_FLAG_TSYNC`) with seccomp(2), as libseccomp's `seccomp_load`
    /// does. Without no_new_privs the caller must still hold CAP_SYS_ADMIN.
    pub fn load(&self) -> Result<(), SeccompError> {
        match crate::sys::seccomp_set_mode_filter(self.flags, &self.program) {
            Ok(0) => Ok(()),
            Ok(tid) => Err(SeccompError::Tsync { tid }),
            Err(source) => Err(SeccompError::Load { source }),
        }
    }

    /// Syscall names of the profile that this architecture does not know (skipped).
    pub fn skipped_syscalls(&self) -> &[String] {
        &self.skipped
    }

    /// The BPF program, in the kernel's `struct sock_filter` layout (native endian).
    fn program_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.program.len() * INSN_LEN);
        for i in &self.program {
            out.extend_from_slice(&i.code.to_ne_bytes());
            out.push(i.jt);
            out.push(i.jf);
            out.extend_from_slice(&i.k.to_ne_bytes());
        }
        out
    }
}

/// Size of one `struct sock_filter`.
const INSN_LEN: usize = 8;
/// The kernel's BPF_MAXINSNS.
const MAX_INSNS: usize = 4096;

/// Parses a program in `struct sock_filter` layout; `None` unless it is a whole,
/// non-empty number of instructions within the kernel's limit.
fn program_from_bytes(b: &[u8]) -> Option<Vec<libc::sock_filter>> {
    if b.is_empty() || !b.len().is_multiple_of(INSN_LEN) || b.len() / INSN_LEN > MAX_INSNS {
        return None;
    }
    b.chunks_exact(INSN_LEN)
        .map(|c| {
            Some(libc::sock_filter {
                code: u16::from_ne_bytes(c.get(0..2)?.try_into().ok()?),
                jt: *c.get(2)?,
                jf: *c.get(3)?,
                k: u32::from_ne_bytes(c.get(4..8)?.try_into().ok()?),
            })
        })
        .collect()
}

/// seccomp(2) flags of the profile, as libseccomp passes them for the same attributes.
fn kernel_flags(s: &LinuxSeccomp) -> libc::c_ulong {
    s.flags().iter().flatten().fold(0, |acc, f| {
        acc | match f {
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => libc::SECCOMP_FILTER_FLAG_TSYNC,
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => libc::SECCOMP_FILTER_FLAG_LOG,
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => {
                libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW
            }
        }
    })
}

/// Parses a `linux.seccomp` JSON object (for example a `--security-opt seccomp=FILE`
/// profile in OCI form), naming the first unknown action, architecture, flag or operator
/// instead of failing with a generic deserialisation error.
pub fn parse(json: &str) -> Result<LinuxSeccomp, SeccompError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| SeccompError::Parse { source })?;
    validate_names(&value)?;
    serde_json::from_value(value).map_err(|source| SeccompError::Parse { source })
}

fn validate_names(v: &serde_json::Value) -> Result<(), SeccompError> {
    let actions = names(&ALL_ACTIONS);
    let check_action =
        |val: Option<&serde_json::Value>, field: String| match val.and_then(|a| a.as_str()) {
            Some(a) if !actions.iter().any(|n| n == a) => Err(SeccompError::UnknownAction {
                name: a.to_owned(),
                field,
                supported: actions.join(", "),
            }),
            _ => Ok(()),
        };
    check_action(v.get("defaultAction"), "linux.seccomp.defaultAction".into())?;
    let archs = names(&ALL_ARCHS);
    for a in str_items(v.get("architectures")) {
        if !archs.iter().any(|n| n == a) {
            return Err(SeccompError::UnknownArch {
                name: a.to_owned(),
                supported: archs.join(", "),
            });
        }
    }
    let flags = names(&ALL_FLAGS);
    for f in str_items(v.get("flags")) {
        if !flags.iter().any(|n| n == f) {
            return Err(SeccompError::UnknownFlag {
                name: f.to_owned(),
                supported: flags.join(", "),
            });
        }
    }
    let ops = names(&ALL_OPERATORS);
    let syscalls = v
        .get("syscalls")
        .and_then(|s| s.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (i, sc) in syscalls.iter().enumerate() {
        check_action(
            sc.get("action"),
            format!("linux.seccomp.syscalls[{i}].action"),
        )?;
        let args = sc
            .get("args")
            .and_then(|a| a.as_array())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for (j, arg) in args.iter().enumerate() {
            if let Some(op) = arg.get("op").and_then(|o| o.as_str()) {
                if !ops.iter().any(|n| n == op) {
                    return Err(SeccompError::UnknownOperator {
                        name: op.to_owned(),
                        field: format!("linux.seccomp.syscalls[{i}].args[{j}].op"),
                        supported: ops.join(", "),
                    });
                }
            }
        }
    }
    Ok(())
}

fn str_items(v: Option<&serde_json::Value>) -> impl Iterator<Item = &str> {
    v.and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
}

fn names<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Compiles `linux.seccomp` into a filter with libseccomp. Call it before the clone or
/// the final setuid (it allocates and logs); load the result with
/// [`SeccompFilter::load`] just before execve. [`compile_cached`] avoids the cost
/// (milliseconds for Docker's profile) on every start but the first.
pub fn compile(s: &LinuxSeccomp) -> Result<SeccompFilter, SeccompError> {
    let (ctx, skipped) = build(s)?;
    let program = export(&ctx)?;
    Ok(SeccompFilter {
        program,
        flags: kernel_flags(s),
        skipped,
    })
}

/// Like [`compile`], but the BPF program is kept under `cache_dir` (keyed by a hash of
/// the profile, the architecture, libseccomp's version and API level and the kernel
/// release) and read from there when a valid copy exists. A cache file that is short,
/// corrupt, for another key, not owned by this user or writable by others is ignored
/// and replaced. A cache that cannot be written only costs the next start a compile.
pub fn compile_cached(s: &LinuxSeccomp, cache_dir: &Path) -> Result<SeccompFilter, SeccompError> {
    check_supported(s)?;
    let key = super::seccomp_cache::key(s);
    let flags = kernel_flags(s);
    if let Some((program, skipped)) = super::seccomp_cache::read(cache_dir, &key) {
        if let Some(program) = program_from_bytes(&program) {
            for name in &skipped {
                tracing::debug!(syscall = %name, "seccomp: syscall unknown on this architecture; rule skipped");
            }
            return Ok(SeccompFilter {
                program,
                flags,
                skipped,
            });
        }
    }
    let f = compile(s)?;
    if let Err(e) = super::seccomp_cache::write(cache_dir, &key, &f.program_bytes(), &f.skipped) {
        tracing::debug!(
            "seccomp: cannot cache the compiled profile in {}: {e}",
            cache_dir.display()
        );
    }
    Ok(f)
}

/// What berth refuses whatever the rules say (so no cached program is ever used for it).
fn check_supported(s: &LinuxSeccomp) -> Result<(), SeccompError> {
    if let Some(path) = s.listener_path() {
        return Err(SeccompError::ListenerUnsupported { path: path.clone() });
    }
    Ok(())
}

/// libseccomp's BPF for the context, as `seccomp_load` would generate and load it.
fn export(ctx: &ScmpFilterContext) -> Result<Vec<libc::sock_filter>, SeccompError> {
    let fd = nix::sys::memfd::memfd_create(
        c"berth-seccomp",
        nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
    )
    .map_err(|e| SeccompError::Export {
        source: std::io::Error::from(e),
    })?;
    let mut file = std::fs::File::from(fd);
    ctx.export_bpf(&mut file)
        .map_err(|e| SeccompError::Export {
            source: std::io::Error::other(e),
        })?;
    let mut bytes = Vec::new();
    file.seek(std::io::SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|source| SeccompError::Export { source })?;
    program_from_bytes(&bytes).ok_or_else(|| SeccompError::Export {
        source: std::io::Error::other(format!(
            "libseccomp exported {} bytes, not a whole BPF program",
            bytes.len()
        )),
    })
}

/// How libseccomp lays out the syscall-number checks of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// libseccomp's default: one comparison after another.
    #[cfg_attr(not(test), allow(dead_code))]
    Linear,
    /// A binary tree of syscall numbers (`SCMP_FLTATR_CTL_OPTIMIZE` 2, API level 4).
    /// When it loads a filter the kernel emulates it for every syscall number, to
    /// cache the ones always allowed; each emulation of a linear program walks the
    /// list. With Docker's profile the tree makes `seccomp(2)` about 0.5 ms quicker
    /// per container, and each filtered syscall cheaper.
    Tree,
}

/// The libseccomp context for the profile, and the syscall names it skipped.
fn build(s: &LinuxSeccomp) -> Result<(ScmpFilterContext, Vec<String>), SeccompError> {
    build_as(s, Layout::Tree)
}

fn build_as(
    s: &LinuxSeccomp,
    layout: Layout,
) -> Result<(ScmpFilterContext, Vec<String>), SeccompError> {
    check_supported(s)?;
    let default = action(
        s.default_action(),
        s.default_errno_ret(),
        "linux.seccomp.defaultAction",
    )?;
    let mut ctx =
        ScmpFilterContext::new_filter(default).map_err(|source| SeccompError::NewFilter {
            action: s.default_action().to_string(),
            source,
        })?;
    // process.noNewPrivileges, not libseccomp, decides about no_new_privs.
    ctx.set_ctl_nnp(false)
        .map_err(|source| SeccompError::Attr {
            attr: "SCMP_FLTATR_CTL_NNP",
            source,
        })?;

    if layout == Layout::Tree && libseccomp::get_api() >= 4 {
        ctx.set_ctl_optimize(2)
            .map_err(|source| SeccompError::Attr {
                attr: "SCMP_FLTATR_CTL_OPTIMIZE",
                source,
            })?;
    }

    for arch in s.architectures().iter().flatten() {
        ctx.add_arch(scmp_arch(*arch))
            .map_err(|source| SeccompError::AddArch {
                arch: arch.to_string(),
                source,
            })?;
    }

    for flag in s.flags().iter().flatten() {
        let res = match flag {
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => ctx.set_ctl_tsync(true),
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => ctx.set_ctl_log(true),
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => ctx.set_ctl_ssb(true),
        };
        res.map_err(|source| SeccompError::Flag {
            flag: flag.to_string(),
            source,
        })?;
    }

    let mut skipped = Vec::new();
    for (i, rule) in s.syscalls().iter().flatten().enumerate() {
        add_rule(&mut ctx, default, rule, i, &mut skipped)?;
    }
    Ok((ctx, skipped))
}

fn add_rule(
    ctx: &mut ScmpFilterContext,
    default: ScmpAction,
    rule: &LinuxSyscall,
    i: usize,
    skipped: &mut Vec<String>,
) -> Result<(), SeccompError> {
    let field = format!("linux.seccomp.syscalls[{i}].action");
    let act = action(rule.action(), rule.errno_ret(), &field)?;
    if act == default {
        tracing::debug!(names = ?rule.names(), "seccomp rule equals the default action; skipped");
        return Ok(());
    }
    for name in rule.names() {
        let Ok(syscall) = ScmpSyscall::from_name(name) else {
            tracing::debug!(syscall = %name, "seccomp: syscall unknown on this architecture; rule skipped");
            skipped.push(name.clone());
            continue;
        };
        let conds = conditions(name, rule.args().as_deref().unwrap_or(&[]))?;
        let add_err = |source| SeccompError::AddRule {
            syscall: name.clone(),
            action: rule.action().to_string(),
            source,
        };
        if conds.is_empty() {
            ctx.add_rule(act, syscall).map_err(add_err)?;
        } else if same_index_twice(rule.args().as_deref().unwrap_or(&[])) {
            // libseccomp cannot AND two conditions on one argument: one rule each (OR), as runc.
            for c in conds {
                ctx.add_rule_conditional(act, syscall, &[c])
                    .map_err(add_err)?;
            }
        } else {
            ctx.add_rule_conditional(act, syscall, &conds)
                .map_err(add_err)?;
        }
    }
    Ok(())
}

fn same_index_twice(args: &[LinuxSeccompArg]) -> bool {
    let mut seen = [false; MAX_ARGS];
    args.iter().any(|a| match seen.get_mut(a.index()) {
        Some(s) if *s => true,
        Some(s) => {
            *s = true;
            false
        }
        None => false,
    })
}

fn conditions(
    syscall: &str,
    args: &[LinuxSeccompArg],
) -> Result<Vec<ScmpArgCompare>, SeccompError> {
    args.iter()
        .map(|a| {
            let index = u32::try_from(a.index())
                .ok()
                .filter(|i| (*i as usize) < MAX_ARGS)
                .ok_or_else(|| SeccompError::ArgIndex {
                    syscall: syscall.to_owned(),
                    index: a.index(),
                })?;
            let (op, datum) = match a.op() {
                LinuxSeccompOperator::ScmpCmpNe => (ScmpCompareOp::NotEqual, a.value()),
                LinuxSeccompOperator::ScmpCmpLt => (ScmpCompareOp::Less, a.value()),
                LinuxSeccompOperator::ScmpCmpLe => (ScmpCompareOp::LessOrEqual, a.value()),
                LinuxSeccompOperator::ScmpCmpEq => (ScmpCompareOp::Equal, a.value()),
                LinuxSeccompOperator::ScmpCmpGe => (ScmpCompareOp::GreaterEqual, a.value()),
                LinuxSeccompOperator::ScmpCmpGt => (ScmpCompareOp::Greater, a.value()),
                LinuxSeccompOperator::ScmpCmpMaskedEq => (
                    ScmpCompareOp::MaskedEqual(a.value()),
                    a.value_two().unwrap_or(0),
                ),
            };
            Ok(ScmpArgCompare::new(index, op, datum))
        })
        .collect()
}

fn action(
    a: LinuxSeccompAction,
    errno_ret: Option<u32>,
    field: &str,
) -> Result<ScmpAction, SeccompError> {
    let ret = errno_ret.unwrap_or(DEFAULT_ERRNO);
    let bad_ret = || SeccompError::ErrnoRet {
        value: ret,
        what: field.to_owned(),
    };
    Ok(match a {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            ScmpAction::KillThread
        }
        LinuxSeccompAction::ScmpActKillProcess => ScmpAction::KillProcess,
        LinuxSeccompAction::ScmpActTrap => ScmpAction::Trap,
        LinuxSeccompAction::ScmpActErrno => {
            ScmpAction::Errno(i32::try_from(ret).map_err(|_| bad_ret())?)
        }
        LinuxSeccompAction::ScmpActTrace => {
            ScmpAction::Trace(u16::try_from(ret).map_err(|_| bad_ret())?)
        }
        LinuxSeccompAction::ScmpActLog => ScmpAction::Log,
        LinuxSeccompAction::ScmpActAllow => ScmpAction::Allow,
        LinuxSeccompAction::ScmpActNotify => {
            return Err(SeccompError::NotifyUnsupported {
                action: a.to_string(),
                field: field.to_owned(),
            })
        }
    })
}

fn scmp_arch(a: Arch) -> ScmpArch {
    match a {
        Arch::ScmpArchNative => ScmpArch::Native,
        Arch::ScmpArchX86 => ScmpArch::X86,
        Arch::ScmpArchX86_64 => ScmpArch::X8664,
        Arch::ScmpArchX32 => ScmpArch::X32,
        Arch::ScmpArchArm => ScmpArch::Arm,
        Arch::ScmpArchAarch64 => ScmpArch::Aarch64,
        Arch::ScmpArchMips => ScmpArch::Mips,
        Arch::ScmpArchMips64 => ScmpArch::Mips64,
        Arch::ScmpArchMips64n32 => ScmpArch::Mips64N32,
        Arch::ScmpArchMipsel => ScmpArch::Mipsel,
        Arch::ScmpArchMipsel64 => ScmpArch::Mipsel64,
        Arch::ScmpArchMipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::ScmpArchPpc => ScmpArch::Ppc,
        Arch::ScmpArchPpc64 => ScmpArch::Ppc64,
        Arch::ScmpArchPpc64le => ScmpArch::Ppc64Le,
        Arch::ScmpArchS390 => ScmpArch::S390,
        Arch::ScmpArchS390x => ScmpArch::S390X,
        Arch::ScmpArchRiscv64 => ScmpArch::Riscv64,
    }
}

/// `linux.seccomp.actions` for `berth-runtime features` (SCMP_ACT_NOTIFY is not supported).
pub fn supported_actions() -> Vec<String> {
    let supported: Vec<_> = ALL_ACTIONS
        .into_iter()
        .filter(|a| *a != LinuxSeccompAction::ScmpActNotify)
        .collect();
    names(&supported)
}

/// `linux.seccomp.archs` for `berth-runtime features`.
pub fn supported_archs() -> Vec<String> {
    names(&ALL_ARCHS[1..])
}

/// `linux.seccomp.operators` for `berth-runtime features`.
pub fn supported_operators() -> Vec<String> {
    names(&ALL_OPERATORS)
}

/// `linux.seccomp.knownFlags` for `berth-runtime features`.
pub fn known_flags() -> Vec<String> {
    names(&ALL_FLAGS)
}

/// `linux.seccomp.supportedFlags`: the known flags this libseccomp and kernel can apply,
/// decided by libseccomp's API level (2: TSYNC, 3: LOG, 4: SPEC_ALLOW).
pub fn supported_flags() -> Vec<String> {
    let api = libseccomp::get_api();
    let supported: Vec<_> = ALL_FLAGS
        .into_iter()
        .filter(|f| match f {
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => api >= 2,
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => api >= 3,
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => api >= 4,
        })
        .collect();
    names(&supported)
}

#[cfg(test)]
mod tests;
