//! `start`: release a created container, and the foreground wait of `run`/`exec`.

use std::os::fd::AsFd;
use std::path::Path;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::Pid;

use super::status::load;
use crate::error::{Result, RuntimeError, SysContext};
use crate::hooks::{self, Point};
use crate::state::Status;

/// Opens the exec fifo for reading, which lets the waiting process go on to exec.
pub fn start(root: &Path, id: &str) -> Result<()> {
    let c = load(root, id)?;
    match c.status {
        Status::Created => {}
        Status::Stopped => return Err(c.wrong_state("cannot start a container that has stopped")),
        _ => return Err(c.wrong_state("cannot start an already running container")),
    }
    let fifo_path = c.dir.fifo();
    let fifo = nix::fcntl::open(
        &fifo_path,
        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .ctx(|| format!("open {}", fifo_path.display()))?;
    let fifo = std::fs::File::from(crate::sys::adopt(fifo));
    let pidfd = crate::sys::pidfd_open(Pid::from_raw(c.saved.pid)).ctx(|| "pidfd_open")?;
    // Wait for the byte, then for EOF: the process closes the fifo when it execs the
    // program (poststart hooks run after that), or dies before.
    let mut got_byte = false;
    loop {
        let mut fds = [
            PollFd::new(fifo.as_fd(), PollFlags::POLLIN),
            PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => {
                r.ctx(|| "wait on the exec fifo")?;
            }
        }
        let readable = fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP));
        let died = fds[1].revents().is_some_and(|r| !r.is_empty());
        if readable {
            let mut b = [0u8; 1];
            match nix::unistd::read(std::os::fd::AsRawFd::as_raw_fd(&fifo), &mut b) {
                Ok(1) => got_byte = true,
                Ok(_) if got_byte => break,
                Ok(_) | Err(nix::errno::Errno::EAGAIN) => {}
                Err(e) => return Err(e).ctx(|| "read the exec fifo"),
            }
        }
        if died {
            if got_byte {
                // Exec'd and already exited, or died in a startContainer hook.
                break;
            }
            return Err(RuntimeError::Init(format!(
                "container {id} exited before it could start"
            )));
        }
    }
    std::fs::remove_file(&fifo_path).ctx(|| format!("remove {}", fifo_path.display()))?;
    let mut running = c;
    running.status = Status::Running;
    hooks::run_warn(
        running.saved.spec.hooks().as_ref(),
        Point::Poststart,
        &running.hook_state(),
    );
    Ok(())
}
