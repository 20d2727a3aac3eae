//! The console socket: the pty master arrives over SCM_RIGHTS, and the process has
//! the pty as its controlling terminal and stdio.

use std::io::{IoSliceMut, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;

use e2e::{not_root, Bundle, Runtime};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use serde_json::json;

fn recv_master(listener: &UnixListener) -> OwnedFd {
    let (conn, _) = listener.accept().unwrap();
    let mut buf = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .unwrap();
    for c in msg.cmsgs().unwrap() {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: (test) SCM_RIGHTS just installed this fd; we own it.
            return unsafe { OwnedFd::from_raw_fd(fds[0]) };
        }
    }
    panic!("no fd received over the console socket");
}

#[test]
fn console_socket_receives_the_pty_master() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["process"]["terminal"] = json!(true);
        c["process"]["consoleSize"] = json!({"height": 33, "width": 111});
        c["process"]["args"] = json!(["sh", "-c", "tty; stty size; [ -t 0 ] && echo stdin-is-tty"]);
    });
    let sockdir = tempfile::tempdir().unwrap();
    let sock = sockdir.path().join("console.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let receiver = std::thread::spawn(move || recv_master(&listener));
    rt.start_detached(&[
        "create",
        "--bundle",
        b.path().to_str().unwrap(),
        "--console-socket",
        sock.to_str().unwrap(),
        "tty1",
    ]);
    let master = receiver.join().unwrap();
    rt.ok(&["start", "tty1"]);
    let mut f = std::fs::File::from(master);
    let mut out = Vec::new();
    // Reading the master ends with EIO once the slave side is closed.
    let mut chunk = [0u8; 1024];
    loop {
        match f.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("/dev/pts/0"), "{text}");
    assert!(text.contains("33 111"), "{text}");
    assert!(text.contains("stdin-is-tty"), "{text}");
    rt.ok(&["delete", "--force", "tty1"]);
}

#[test]
fn foreground_run_relays_the_pty_to_our_terminal() {
    if not_root()
        || std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_err()
    {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["process"]["terminal"] = json!(true);
        c["process"]["args"] = json!(["sh", "-c", "tty; [ -t 1 ] && echo stdout-is-tty; exit 3"]);
    });
    // script(1) gives berth-runtime a terminal of its own, as a person's shell would.
    let cmd = format!(
        "{} --root {} run --bundle {} relay; echo rc=$?",
        rt.bin.display(),
        rt.root.path().display(),
        b.path().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/dev/pts/"), "{text}");
    assert!(text.contains("stdout-is-tty"), "{text}");
    assert!(text.contains("rc=3"), "{text}");
}
