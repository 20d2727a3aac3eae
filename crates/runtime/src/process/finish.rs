//! The last steps before the container's program runs, shared by `create` and `exec`:
//! terminal, rlimits, no_new_privs, capabilities, credentials, cwd, seccomp, fds, exec.
//! Order follows runc: bounding set dropped while still root, keep-caps around the
//! uid switch, seccomp loaded while privileged unless no_new_privs allows it later.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::unistd::{Gid, Uid};
use oci_spec::runtime::Process;

use super::channel::{Channel, Msg};
use super::lookup::find_program;
use crate::error::{Result, RuntimeError, SysContext};
use crate::security;

/// What the process needs besides its spec.
pub struct Tail<'a> {
    pub process: &'a Process,
    /// Compiled by the runtime before the clone (`security::compile_cached`).
    pub seccomp: Option<security::SeccompFilter>,
    /// A connection to the `--console-socket` (or the runtime's own pty relay).
    pub console: Option<OwnedFd>,
    /// fds 3..3+N stay open in the container (`--preserve-fds`).
    pub preserve_fds: i32,
    /// Run under berth's minimal init (`--init`).
    pub init: bool,
}

/// A process ready to exec: everything that can fail on bad config has been checked.
pub struct Prepared {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    late_seccomp: Option<security::SeccompFilter>,
    preserve_fds: i32,
    init: bool,
}

fn cstrings<'a>(items: impl Iterator<Item = &'a String>, what: &str) -> Result<Vec<CString>> {
    items
        .map(|s| {
            CString::new(s.as_bytes()).map_err(|_| RuntimeError::InvalidConfig {
                path: "config.json".into(),
                msg: format!("field process.{what}: {s:?} contains a NUL byte"),
            })
        })
        .collect()
}

/// Runs every step up to (not including) the wait for `start` and the exec.
pub fn prepare(t: Tail<'_>) -> Result<Prepared> {
    let p = t.process;
    let user = p.user();
    if p.terminal() == Some(true) {
        let sock = t.console.as_ref().ok_or_else(|| {
            RuntimeError::Init(
                "process.terminal is true but no console socket was given".to_string(),
            )
        })?;
        let size = p
            .console_size()
            .as_ref()
            .map(|b| (b.height() as u16, b.width() as u16));
        crate::console::setup(sock.as_fd(), size, user.uid())?;
    }
    drop(t.console);
    if let Some(limits) = p.rlimits() {
        for w in security::rlimits::apply(limits)? {
            tracing::warn!("{w}");
        }
    }
    // The cwd must be inside the container root; checked while getcwd is still
    // allowed (an early seccomp filter may deny it).
    let cwd = p.cwd();
    nix::unistd::chdir(cwd.as_path())
        .ctx(|| format!("chdir to cwd {} set in config.json", cwd.display()))?;
    // A cwd reached through a leaked host fd would be outside our root (CVE-2024-21626).
    let here = nix::unistd::getcwd().ctx(|| "getcwd")?;
    if !here.starts_with("/") || here.as_os_str().as_bytes().starts_with(b"(unreachable)") {
        return Err(RuntimeError::Init(format!(
            "cwd {} is outside the container root; refusing to start",
            cwd.display()
        )));
    }
    let nnp = p.no_new_privileges() == Some(true);
    if nnp {
        security::set_no_new_privileges()?;
    }
    let filter = t.seccomp;
    let late_seccomp = if nnp {
        filter
    } else {
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it now.
        if let Some(f) = &filter {
            f.load()?;
        }
        None
    };
    if let Some(caps) = p.capabilities() {
        security::caps::drop_bounding(caps)?;
    }
    security::caps::set_keep_caps(true)?;
    let gids: Vec<Gid> = user
        .additional_gids()
        .iter()
        .flatten()
        .map(|g| Gid::from_raw(*g))
        .collect();
    match nix::unistd::setgroups(&gids) {
        Ok(()) => {}
        // In a user namespace with setgroups denied, only an empty list can be kept.
        Err(nix::errno::Errno::EPERM) if gids.is_empty() => {}
        Err(e) => return Err(e).ctx(|| format!("setgroups {gids:?}")),
    }
    let gid = Gid::from_raw(user.gid());
    let uid = Uid::from_raw(user.uid());
    nix::unistd::setresgid(gid, gid, gid).ctx(|| format!("setgid {gid}"))?;
    nix::unistd::setresuid(uid, uid, uid).ctx(|| format!("setuid {uid}"))?;
    security::caps::set_keep_caps(false)?;
    if let Some(caps) = p.capabilities() {
        security::caps::apply(caps)?;
    }
    if let Some(mask) = user.umask() {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    }
    // The user's own permission to enter the cwd is checked by this second chdir.
    let cwd = p.cwd();
    nix::unistd::chdir(cwd.as_path())
        .ctx(|| format!("chdir to cwd {} set in config.json", cwd.display()))?;
    let args = p.args().as_deref().unwrap_or_default();
    let env = p.env().as_deref().unwrap_or_default();
    let arg0 = args
        .first()
        .ok_or_else(|| RuntimeError::Init("process.args is empty".to_string()))?;
    let program: PathBuf =
        find_program(arg0, env).map_err(|e| RuntimeError::Init(e.to_string()))?;
    let program = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| RuntimeError::Init(format!("bad program path {}", program.display())))?;
    Ok(Prepared {
        program,
        argv: cstrings(args.iter(), "args")?,
        envp: cstrings(env.iter(), "env")?,
        late_seccomp,
        preserve_fds: t.preserve_fds,
        init: t.init,
    })
}

impl Prepared {
    /// Closes every fd the container must not see, loads a late seccomp filter and
    /// execs. Returns only on failure.
    pub fn exec(self, chan: Option<&Channel>) -> Result<Infallible> {
        if self.init {
            super::reaper::become_init()?;
        }
        // Mark (not close) so the channel still reports an exec failure.
        crate::sys::close_range_cloexec(3 + self.preserve_fds).ctx(|| "close_range")?;
        if self.preserve_fds > 0 {
            for fd in 3..3 + self.preserve_fds {
                let _ = nix::fcntl::fcntl(
                    fd,
                    nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
                );
            }
        }
        if let Some(f) = &self.late_seccomp {
            f.load()?;
        }
        let err = match nix::unistd::execve(&self.program, &self.argv, &self.envp) {
            Err(e) => e,
            Ok(never) => match never {},
        };
        let msg = format!("exec {:?}: {err}", self.program);
        if let Some(c) = chan {
            let _ = c.send(&Msg::Error(msg.clone()));
        }
        Err(RuntimeError::Init(msg))
    }
}
