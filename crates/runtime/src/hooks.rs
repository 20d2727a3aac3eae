//! OCI hooks: each runs with the container state JSON on stdin, its own args and env,
//! and an optional timeout; its output is kept for the error message.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use oci_spec::runtime::{Hook, Hooks};

use crate::error::{Result, RuntimeError};

/// The hook points of the runtime spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl Point {
    pub fn name(self) -> &'static str {
        match self {
            Point::Prestart => "prestart",
            Point::CreateRuntime => "createRuntime",
            Point::CreateContainer => "createContainer",
            Point::StartContainer => "startContainer",
            Point::Poststart => "poststart",
            Point::Poststop => "poststop",
        }
    }

    fn select(self, h: &Hooks) -> &[Hook] {
        #[allow(deprecated)]
        let v = match self {
            Point::Prestart => h.prestart(),
            Point::CreateRuntime => h.create_runtime(),
            Point::CreateContainer => h.create_container(),
            Point::StartContainer => h.start_container(),
            Point::Poststart => h.poststart(),
            Point::Poststop => h.poststop(),
        };
        v.as_deref().unwrap_or_default()
    }
}

/// Whether any hook runs while the container is made (prestart, createRuntime,
/// createContainer, startContainer): only then do the runtime and the init exchange
/// the hook state, two messages that would otherwise cost two wake-ups per start.
pub fn during_create(hooks: Option<&Hooks>) -> bool {
    hooks.is_some_and(|h| {
        [
            Point::Prestart,
            Point::CreateRuntime,
            Point::CreateContainer,
            Point::StartContainer,
        ]
        .into_iter()
        .any(|p| !p.select(h).is_empty())
    })
}

/// Runs every hook of `point` in order; the first failure stops the rest.
pub fn run(hooks: Option<&Hooks>, point: Point, state_json: &[u8]) -> Result<()> {
    let Some(hooks) = hooks else { return Ok(()) };
    for h in point.select(hooks) {
        run_one(h, point, state_json)?;
    }
    Ok(())
}

/// Runs every hook of `point` in order, logging a warning for each failure and going on
/// with the rest: poststart and poststop hooks (runtime-spec: "if any poststart hook fails,
/// the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the
/// hook had succeeded"; the same for poststop).
pub fn run_warn(hooks: Option<&Hooks>, point: Point, state_json: &[u8]) {
    let Some(hooks) = hooks else { return };
    for h in point.select(hooks) {
        if let Err(e) = run_one(h, point, state_json) {
            tracing::warn!("{} hook failed: {e}", point.name());
        }
    }
}

fn run_one(h: &Hook, point: Point, state_json: &[u8]) -> Result<()> {
    let fail = |msg: String| RuntimeError::Hook {
        kind: point.name().to_string(),
        path: h.path().clone(),
        msg,
    };
    let mut cmd = Command::new(h.path());
    if let Some(args) = h.args() {
        if let Some((arg0, rest)) = args.split_first() {
            cmd.arg0(arg0).args(rest);
        }
    }
    cmd.env_clear();
    for kv in h.env().iter().flatten() {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine (EPIPE).
        let _ = stdin.write_all(state_json);
    }
    let pidfd = crate::sys::pidfd_open(nix::unistd::Pid::from_raw(child.id() as i32))
        .map_err(|e| fail(format!("pidfd_open: {e}")))?;
    let deadline = h
        .timeout()
        .filter(|t| *t > 0)
        .map(|t| Instant::now() + Duration::from_secs(t as u64));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(fail(format!(
                        "timed out after {}s",
                        h.timeout().unwrap_or(0)
                    )));
                }
                PollTimeout::try_from(left.as_millis().min(60_000) as i32)
                    .unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        let mut fds = vec![PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        if let Some(s) = &stdout {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
        }
        if let Some(s) = &stderr {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(fail(format!("poll: {e}"))),
        }
        let exited = fds[0].revents().is_some_and(|r| !r.is_empty());
        let ready: Vec<bool> = fds[1..]
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        let mut idx = 0;
        if stdout.is_some() {
            read_some(&mut stdout, &mut out, ready[idx]);
            idx += 1;
        }
        if stderr.is_some() {
            read_some(&mut stderr, &mut err, ready[idx]);
        }
        if exited && stdout.is_none() && stderr.is_none() {
            break;
        }
        if exited {
            // Drain what is left without blocking forever on a grandchild holding the pipe.
            drain(stdout.take(), &mut out);
            drain(stderr.take(), &mut err);
            break;
        }
    }
    let status = child.wait().map_err(|e| fail(format!("wait: {e}")))?;
    if status.success() {
        return Ok(());
    }
    Err(fail(format!(
        "{status}, stdout: {}, stderr: {}",
        String::from_utf8_lossy(&out).trim(),
        String::from_utf8_lossy(&err).trim()
    )))
}

/// Reads what is available from a pipe; a closed pipe becomes None.
fn read_some<R: Read>(pipe: &mut Option<R>, buf: &mut Vec<u8>, ready: bool) {
    if !ready {
        return;
    }
    let mut chunk = [0u8; 4096];
    match pipe.as_mut().map(|p| p.read(&mut chunk)) {
        Some(Ok(0)) | Some(Err(_)) | None => *pipe = None,
        Some(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
    }
}

/// Reads what is left in a pipe without blocking on a grandchild that keeps it open.
fn drain<R: Read + AsFd>(pipe: Option<R>, buf: &mut Vec<u8>) {
    if let Some(mut p) = pipe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&p.as_fd());
        let _ = nix::fcntl::fcntl(
            fd,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        let _ = p.read_to_end(buf);
    }
}
