//! Security regressions: no host fd reaches the container and a cwd through one is
//! refused (CVE-2024-21626); a symlinked mount destination stays inside the rootfs
//! (CVE-2021-30465 class); the runtime binary cannot be rewritten through
//! /proc/PID/exe of a runtime process in the container (CVE-2019-5736).

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

use e2e::{mount_points, not_root, Bundle, Runtime};
use serde_json::json;

/// Runs `berth-runtime run` with a host directory open, not close-on-exec, at fd 7.
fn run_with_leaked_dir(rt: &Runtime, b: &Bundle, id: &str) -> (i32, String, String) {
    let hostdir = std::fs::File::open("/etc").unwrap();
    let raw = hostdir.as_raw_fd();
    let mut cmd = rt.cmd();
    cmd.args(["run", "--bundle", b.path().to_str().unwrap(), id])
        .stdin(Stdio::null());
    // SAFETY: (test) dup2 is async-signal-safe; runs in the forked child before exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(raw, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn no_host_fd_leaks_and_cwd_through_a_leaked_fd_is_refused() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&[
        "sh",
        "-c",
        "ls /proc/self/fd; ls -l /proc/self/fd | grep -c /etc",
    ]);
    let (code, out, err) = run_with_leaked_dir(&rt, &b, "fds");
    assert_eq!(code, 1, "grep found no /etc fd, so exits 1: {out} {err}");
    let fds: Vec<&str> = out
        .lines()
        .take_while(|l| !l.starts_with('0') || l.len() == 1)
        .collect();
    assert!(
        !out.lines().any(|l| l == "7"),
        "fd 7 leaked into the container: {out}"
    );
    assert!(fds.len() <= 5, "{out}");

    b.edit(|c| {
        c["process"]["cwd"] = json!("/proc/self/fd/7");
        c["process"]["args"] = json!(["cat", "passwd"]);
    });
    let (code, out, err) = run_with_leaked_dir(&rt, &b, "cwd");
    assert_ne!(code, 0, "started with a cwd outside the rootfs: {out}");
    assert!(
        !out.contains("root:x:0:0"),
        "read the host's /etc/passwd: {out}"
    );
    assert!(err.contains("cwd"), "{err}");
}

#[test]
fn symlinked_mount_destination_stays_inside_the_rootfs() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let host = tempfile::tempdir().unwrap();
    let mut b = Bundle::new(&[
        "sh",
        "-c",
        "echo inside > /evil/file; echo inside > /evil2/file",
    ]);
    // Absolute and relative symlinks pointing at a host directory.
    std::os::unix::fs::symlink(host.path(), b.rootfs().join("evil")).unwrap();
    let depth = b.rootfs().components().count();
    let rel = format!(
        "{}{}",
        "../".repeat(depth),
        host.path().strip_prefix("/").unwrap().display()
    );
    std::os::unix::fs::symlink(&rel, b.rootfs().join("evil2")).unwrap();
    b.edit(|c| {
        let m = c["mounts"].as_array_mut().unwrap();
        m.push(json!({"destination": "/evil", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}));
        m.push(json!({"destination": "/evil2", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}));
    });
    let _ = rt.run_bundle(&b, "sym");
    assert!(
        std::fs::read_dir(host.path()).unwrap().next().is_none(),
        "the container wrote into a host directory"
    );
    let hp = host.path().to_str().unwrap();
    assert!(
        !mount_points().iter().any(|m| m == hp),
        "a mount landed on the host directory"
    );
}

#[test]
fn runtime_binary_cannot_be_rewritten_through_proc_exe() {
    if not_root() {
        return;
    }
    // Work on a copy of the binary, so a failure cannot damage the build.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("berth-runtime");
    std::fs::copy(e2e::runtime_bin(), &bin).unwrap();
    let before = std::fs::read(&bin).unwrap();
    let mut rt = Runtime::new();
    rt.bin = bin.clone();
    let b = Bundle::new(&["sleep", "100"]);
    rt.start_detached(&["create", "--bundle", b.path().to_str().unwrap(), "victim"]);
    // The created container's process is a runtime process inside the container,
    // the classic target. Keep a handle on its executable, as an attacker would.
    let pid = rt.state("victim")["pid"].as_i64().unwrap();
    let exe = std::fs::File::open(format!("/proc/{pid}/exe")).unwrap();
    use std::io::Write;
    // While it runs, the image must already be unwritable (read-only mount or sealed).
    let now = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{}", exe.as_raw_fd()));
    assert!(
        now.is_err() || now.unwrap().write_all(b"x").is_err(),
        "runtime image writable while running"
    );
    rt.ok(&["delete", "--force", "victim"]);
    // The runtime is gone: try to write through the handle.
    let reopen = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{}", exe.as_raw_fd()));
    if let Ok(mut f) = reopen {
        assert!(
            f.write_all(b"pwned").is_err(),
            "wrote into the runtime's executable"
        );
    }
    assert_eq!(
        std::fs::read(&bin).unwrap(),
        before,
        "the runtime binary changed"
    );
}
