//! The terminal: a pty made inside the container, its master sent over the
//! `--console-socket` with SCM_RIGHTS (runc's protocol), its slave made the process's
//! controlling terminal and stdio.

use std::os::fd::{AsFd, BorrowedFd};

use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;

use crate::error::{Result, SysContext};
use crate::process::channel::send_fd;

/// Makes the pty, sends its master over `socket`, and makes the slave this process's
/// controlling terminal and fds 0-2.
pub fn setup(socket: BorrowedFd<'_>, size: Option<(u16, u16)>, owner: u32) -> Result<()> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .ctx(|| "open /dev/ptmx")?;
    grantpt(&master).ctx(|| "grantpt")?;
    unlockpt(&master).ctx(|| "unlockpt")?;
    let name = ptsname_r(&master).ctx(|| "ptsname")?;
    let slave = nix::fcntl::open(
        name.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| format!("open {name}"))?;
    let res = (|| {
        nix::unistd::fchown(slave, Some(nix::unistd::Uid::from_raw(owner)), None)
            .ctx(|| format!("chown {name}"))?;
        if let Some((rows, cols)) = size {
            crate::sys::set_winsize(slave, rows, cols).ctx(|| "set the console size")?;
        }
        send_fd(socket, master.as_fd(), &name)?;
        nix::unistd::setsid().ctx(|| "setsid")?;
        crate::sys::set_controlling_tty(slave).ctx(|| "make the pty the controlling terminal")?;
        for target in 0..=2 {
            nix::unistd::dup2(slave, target).ctx(|| format!("dup the pty onto fd {target}"))?;
        }
        Ok(())
    })();
    let _ = nix::unistd::close(slave);
    drop(master);
    res
}
