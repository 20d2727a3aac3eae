//! `run -it` on a real terminal: the container gets a pty sized like the user's, follows
//! its resizes, and its exit code comes back.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::{openpty, Winsize};

use super::{skip, Berth};

fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

nix::ioctl_write_ptr_bad!(set_winsize, libc::TIOCSWINSZ, Winsize);

/// Reads from the terminal's master side until `want` shows up (or panics after 15 s).
fn read_until(master: &mut std::fs::File, seen: &mut String, want: &str) {
    let end = Instant::now() + Duration::from_secs(15);
    while !seen.contains(want) {
        assert!(
            Instant::now() < end,
            "timed out waiting for {want:?}; saw {seen:?}"
        );
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(200u16)).unwrap() == 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        match master.read(&mut buf) {
            Ok(0) | Err(_) => panic!("terminal closed before {want:?}; saw {seen:?}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

#[test]
fn run_it_follows_the_terminal_size_and_returns_the_exit_code() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let pty = openpty(Some(&winsize(24, 80)), None).unwrap();
    let slave: OwnedFd = pty.slave;
    let mut cmd = b.cmd();
    cmd.args(["run", "-it", "--rm", "busybox", "sh"])
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave.try_clone().unwrap()));
    // SAFETY: between fork and exec only async-signal-safe calls (setsid, ioctl) run.
    unsafe {
        cmd.pre_exec(|| {
            // A session of its own with the pty as controlling terminal, as a shell gives.
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(slave);
    let mut master = std::fs::File::from(pty.master);
    let mut seen = String::new();

    master.write_all(b"stty size; echo mark-1\n").unwrap();
    read_until(&mut master, &mut seen, "24 80");
    read_until(&mut master, &mut seen, "mark-1\r\n");

    // The user's terminal changes size: the kernel signals berth (SIGWINCH), which
    // resizes the container's pty.
    // SAFETY: a valid pty master fd and a Winsize that lives across the call.
    unsafe { set_winsize(master.as_raw_fd(), &winsize(40, 120)) }.unwrap();
    std::thread::sleep(Duration::from_millis(300));
    seen.clear();
    master.write_all(b"stty size; echo mark-2\n").unwrap();
    read_until(&mut master, &mut seen, "40 120");

    master.write_all(b"exit 3\n").unwrap();
    let end = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < end, "berth run -it did not exit");
        // Keep draining so the container never blocks on a full terminal.
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(100u16)).unwrap_or(0) > 0 {
            let mut buf = [0u8; 4096];
            let _ = master.read(&mut buf);
        }
    };
    assert_eq!(status.code(), Some(3));
    assert_eq!(b.ok(&["ps", "-aq"]), "", "--rm left the container");
}
