//! `delete`: poststop hooks, cgroups and state directory of a stopped container;
//! with `force`, the container is killed first.

use std::path::Path;
use std::time::{Duration, Instant};

use super::status::{load, Loaded};
use crate::error::{Result, RuntimeError};
use crate::hooks::{self, Point};
use crate::state::{self, Status};

fn kill_and_wait(c: &Loaded) -> Result<()> {
    let cg = c.cgroup();
    // A frozen cgroup cannot die: thaw it after signalling.
    let mut pids = cg.pids().unwrap_or_default();
    if !pids.contains(&c.saved.pid) && state::is_alive(c.saved.pid, c.saved.pid_start) {
        pids.push(c.saved.pid);
    }
    for pid in &pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = cg.thaw();
    let deadline = Instant::now() + Duration::from_secs(10);
    while state::is_alive(c.saved.pid, c.saved.pid_start)
        || !cg.pids().unwrap_or_default().is_empty()
    {
        if Instant::now() > deadline {
            return Err(RuntimeError::Init(format!(
                "container {} did not die within 10s of SIGKILL",
                c.saved.id
            )));
        }
        // Our own child (foreground run): reap it so it stops being a zombie.
        let _ = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(c.saved.pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// Removes a container. A created container is killed (it never ran); a running or
/// paused one only with `force`.
pub fn delete(root: &Path, id: &str, force: bool) -> Result<()> {
    let c = load(root, id)?;
    remove(c, force)
}

fn remove(c: Loaded, force: bool) -> Result<()> {
    match c.status {
        Status::Stopped => {}
        Status::Created => kill_and_wait(&c)?,
        Status::Running | Status::Paused | Status::Creating if force => kill_and_wait(&c)?,
        _ => {
            return Err(RuntimeError::WrongState {
                id: c.saved.id.clone(),
                status: c.status.to_string(),
                what: "cannot delete a container that is not stopped (use --force)".into(),
            })
        }
    }
    let mut stopped = c;
    stopped.status = Status::Stopped;
    let hook_state = stopped.hook_state();
    hooks::run_warn(
        stopped.saved.spec.hooks().as_ref(),
        Point::Poststop,
        &hook_state,
    );
    stopped.cgroup().destroy()?;
    stopped.dir.remove()?;
    Ok(())
}
