//! Errors of `runtime::security`: one enum per concern, each variant naming the object
//! (syscall, capability, rlimit, label) and keeping the underlying error as `#[source]`.

use std::path::PathBuf;

/// Building or loading a seccomp filter from `linux.seccomp`.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("seccomp profile is not valid JSON for linux.seccomp: {source}; check the file against the OCI runtime spec (config-linux.md#seccomp)")]
    Parse {
        #[source]
        source: serde_json::Error,
    },
    #[error("unknown seccomp action {name:?} in {field}; supported actions: {supported}")]
    UnknownAction {
        name: String,
        field: String,
        supported: String,
    },
    #[error("unknown seccomp architecture {name:?} in linux.seccomp.architectures; supported: {supported}")]
    UnknownArch { name: String, supported: String },
    #[error("unknown seccomp flag {name:?} in linux.seccomp.flags; known flags: {supported}")]
    UnknownFlag { name: String, supported: String },
    #[error("unknown seccomp operator {name:?} in {field}; supported operators: {supported}")]
    UnknownOperator {
        name: String,
        field: String,
        supported: String,
    },
    #[error("seccomp action {action} is not supported by berth ({field}); use SCMP_ACT_ERRNO or SCMP_ACT_KILL_PROCESS instead, and remove linux.seccomp.listenerPath")]
    NotifyUnsupported { action: String, field: String },
    #[error("linux.seccomp.listenerPath {path:?} is set but seccomp user notification is not supported by berth; remove listenerPath and any SCMP_ACT_NOTIFY rule")]
    ListenerUnsupported { path: PathBuf },
    #[error("seccomp errnoRet {value} for {what} does not fit the action's return value; use an errno number such as 1 (EPERM) or 38 (ENOSYS)")]
    ErrnoRet { value: u32, what: String },
    #[error("seccomp argument index {index} for syscall {syscall} is out of range; a syscall has at most 6 arguments (index 0..=5)")]
    ArgIndex { syscall: String, index: usize },
    #[error("cannot create a seccomp filter with default action {action}: {source}; is libseccomp installed and recent enough?")]
    NewFilter {
        action: String,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot add architecture {arch} to the seccomp filter: {source}; remove it from linux.seccomp.architectures")]
    AddArch {
        arch: String,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot set seccomp flag {flag}: {source}; this libseccomp or kernel does not support it, remove it from linux.seccomp.flags")]
    Flag {
        flag: String,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot configure the seccomp filter attribute {attr}: {source}")]
    Attr {
        attr: &'static str,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot add seccomp rule {action} for syscall {syscall}: {source}; check the rule's args in linux.seccomp.syscalls")]
    AddRule {
        syscall: String,
        action: String,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot load the seccomp filter into the kernel: {source}; without process.noNewPrivileges the filter must be loaded while the process still holds CAP_SYS_ADMIN")]
    Load {
        #[source]
        source: std::io::Error,
    },
    #[error("the seccomp filter could not be applied to thread {tid} of the process (SECCOMP_FILTER_FLAG_TSYNC); remove the flag or the conflicting filter")]
    Tsync { tid: i64 },
    #[error("cannot export the compiled seccomp filter: {source}")]
    Export {
        #[source]
        source: std::io::Error,
    },
}

/// Dropping or setting capabilities.
#[derive(Debug, thiserror::Error)]
pub enum CapsError {
    #[error("capability {name} is not known to this build of berth; remove it from process.capabilities or update berth")]
    Unknown {
        name: String,
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("cannot read the {set} capability set of the current process: {source}")]
    Read {
        set: &'static str,
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("cannot drop {cap} from the bounding set: {source}; the process needs CAP_SETPCAP to do this")]
    DropBounding {
        cap: String,
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("effective capability {cap} is not in process.capabilities.permitted; add it to permitted or remove it from effective")]
    EffectiveNotPermitted { cap: String },
    #[error("cannot set the {set} capabilities to [{caps}]: {source}; each must be in the bounding set (and for permitted, already held)")]
    Set {
        set: &'static str,
        caps: String,
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("cannot raise ambient capability {cap}: {source}")]
    RaiseAmbient {
        cap: String,
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("cannot clear the ambient capability set: {source}")]
    ClearAmbient {
        #[source]
        source: caps::errors::CapsError,
    },
    #[error("cannot set PR_SET_KEEPCAPS to {value}: {source}")]
    KeepCaps {
        value: bool,
        #[source]
        source: nix::Error,
    },
}

/// Applying `process.rlimits`.
#[derive(Debug, thiserror::Error)]
pub enum RlimitError {
    #[error("unknown rlimit type {name:?}; use one of RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_NPROC, ... (getrlimit(2))")]
    UnknownType { name: String },
    #[error("cannot read the current {typ} of the process: {source}")]
    Get {
        typ: String,
        #[source]
        source: nix::Error,
    },
    #[error(
        "cannot set {typ} to soft={soft} hard={hard}: {source}; lower the limit in process.rlimits"
    )]
    Set {
        typ: String,
        soft: u64,
        hard: u64,
        #[source]
        source: nix::Error,
    },
}

/// `prctl(PR_SET_NO_NEW_PRIVS)`.
#[derive(Debug, thiserror::Error)]
pub enum NnpError {
    #[error(
        "cannot set no_new_privs on the container process (prctl PR_SET_NO_NEW_PRIVS): {source}"
    )]
    Set {
        #[source]
        source: nix::Error,
    },
}

/// AppArmor / SELinux labels.
#[derive(Debug, thiserror::Error)]
pub enum LsmError {
    #[error("apparmor profile {profile:?} requested but AppArmor is not enabled on this host; remove process.apparmorProfile from config.json")]
    AppArmorDisabled { profile: String },
    #[error("selinux label {label:?} requested in {field} but SELinux is not enabled on this host; remove {field} from config.json")]
    SelinuxDisabled { label: String, field: &'static str },
    #[error("cannot set apparmor profile {profile:?} for exec (write to {path:?}): {source}; is the profile loaded (aa-status)?")]
    AppArmorApply {
        profile: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set selinux exec label {label:?} (write to {path:?}): {source}; is the label valid for this policy?")]
    SelinuxApply {
        label: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
