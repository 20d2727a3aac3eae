//! `run`: create and start in one go. In the foreground the runtime stays the
//! container's parent: it forwards signals, relays the pty when the process has a
//! terminal and no console socket was given, and deletes the container at exit.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use nix::unistd::Pid;

use super::create::{create, CreateOpts};
use super::exec::{exec, ExecOpts};
use super::foreground;
use crate::error::{Result, RuntimeError, SysContext};
use crate::hooks::{self, Point};
use crate::process::channel::{recv_fd, Msg};

/// When wanted, a socketpair standing in for a console socket so the runtime can relay
/// the pty: the far end goes into `console`, our end is returned.
fn relay_pair(wanted: bool, console: &mut Option<OwnedFd>) -> Result<Option<OwnedFd>> {
    if !wanted {
        return Ok(None);
    }
    let (ours, theirs) = UnixStream::pair().ctx(|| "socketpair for the pty relay")?;
    *console = Some(OwnedFd::from(theirs));
    Ok(Some(OwnedFd::from(ours)))
}

/// Runs a container; returns its exit code (0 when detached). In the foreground the
/// container is deleted when it exits, unless `keep` (runc's `--keep`).
pub fn run(mut o: CreateOpts<'_>, detach: bool, keep: bool) -> Result<i32> {
    let terminal = o.bundle.spec.process().as_ref().and_then(|p| p.terminal()) == Some(true);
    let ours = relay_pair(terminal && o.console.is_none() && !detach, &mut o.console)?;
    if !detach {
        foreground::block_signals()?;
        crate::sys::set_child_subreaper().ctx(|| "become child subreaper")?;
    }
    let (root, id) = (o.root.to_path_buf(), o.id.to_string());
    let pid = start_now(o)?;
    if detach {
        return Ok(0);
    }
    let master = match ours {
        Some(sock) => Some(recv_fd(std::os::fd::AsFd::as_fd(&sock))?),
        None => None,
    };
    let code = foreground::wait(pid, master)?;
    if !keep {
        super::delete(&root, &id, true)?;
    }
    Ok(code)
}

/// Creates and starts a container, returning once its process runs: its pid.
pub fn run_detached(o: CreateOpts<'_>) -> Result<Pid> {
    start_now(o)
}

fn start_now(mut o: CreateOpts<'_>) -> Result<Pid> {
    o.for_run = true;
    let (root, id) = (o.root.to_path_buf(), o.id.to_string());
    let created = create(o)?;
    // The init goes on to exec once it has said `Ready` (`Gate::Open`): the channel
    // closes on a successful exec; an exec failure arrives as a message.
    if let Ok(Msg::Error(e)) = created.chan.recv() {
        drop(created.dir);
        let _ = super::delete(&root, &id, true);
        return Err(RuntimeError::Init(e));
    }
    let pid = created.pid;
    if created.saved.spec.hooks().is_some() {
        let running = super::Loaded {
            dir: created.dir,
            saved: created.saved,
            status: crate::state::Status::Running,
        };
        hooks::run_warn(
            running.saved.spec.hooks().as_ref(),
            Point::Poststart,
            &running.hook_state(),
        );
    }
    Ok(pid)
}

/// Runs a process in a container; returns its exit code (0 when detached).
pub fn exec_run(mut o: ExecOpts<'_>, detach: bool) -> Result<i32> {
    let wanted = o.process.terminal() == Some(true) && o.console.is_none() && !detach;
    let ours = relay_pair(wanted, &mut o.console)?;
    if !detach {
        foreground::block_signals()?;
    }
    let execed = exec(o)?;
    if detach {
        return Ok(0);
    }
    let master = match ours {
        Some(sock) => Some(recv_fd(std::os::fd::AsFd::as_fd(&sock))?),
        None => None,
    };
    foreground::wait(execed.pid, master)
}
