//! The smallest slice: a busybox container runs, its exit code comes back, and
//! nothing is left behind.

use e2e::{cgroup_exists, mount_points, not_root, unique, Bundle, Runtime};

#[test]
fn runs_busybox_and_leaves_nothing() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["echo", "hello from berth"]);
    let cg = b.cgroup(&unique("basic"));
    let (code, out, err) = rt.run_bundle(&b, "c1");
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, "hello from berth\n");
    assert!(!rt.root.path().join("c1").exists(), "state dir left behind");
    assert!(!cgroup_exists(&cg), "cgroup {cg} left behind");
    let rootfs = b.rootfs();
    assert!(
        !mount_points()
            .iter()
            .any(|m| m.starts_with(rootfs.to_str().unwrap())),
        "a mount under the rootfs was left on the host"
    );
}

#[test]
fn exit_code_and_signal_death_come_back() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let b = Bundle::new(&["sh", "-c", "exit 7"]);
    assert_eq!(rt.run_bundle(&b, "c1").0, 7);
    // Killed from outside (pid 1 of a pid namespace ignores SIGKILL from inside).
    let b = Bundle::new(&["sleep", "100"]);
    let mut child = rt
        .cmd()
        .args(["run", "--bundle", b.path().to_str().unwrap(), "c2"])
        .spawn()
        .unwrap();
    wait_for_status(&rt, "c2", "running");
    rt.ok(&["kill", "c2", "KILL"]);
    assert_eq!(child.wait().unwrap().code(), Some(137));
}

#[test]
fn missing_program_is_an_error_and_leaves_nothing() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let b = Bundle::new(&["/no/such/program"]);
    let (code, _, err) = rt.run_bundle(&b, "c1");
    assert_ne!(code, 0);
    assert!(err.contains("/no/such/program"), "{err}");
    assert!(!rt.root.path().join("c1").exists());
}

/// Polls `state` until the container has `status` (or fails after 10 s).
pub fn wait_for_status(rt: &Runtime, id: &str, status: &str) {
    for _ in 0..1000 {
        let out = rt.run(&["state", id]);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if v["status"] == status {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("container {id} never reached {status}");
}

#[test]
fn run_keep_leaves_a_stopped_container_to_inspect() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    let out = rt.run(&[
        "run",
        "--keep",
        "--bundle",
        b.path().to_str().unwrap(),
        "kept",
    ]);
    assert!(out.status.success());
    assert_eq!(rt.state("kept")["status"], "stopped");
    rt.ok(&["delete", "kept"]);
    assert!(!rt.root.path().join("kept").exists());
}

#[test]
fn builtin_init_is_pid_1_and_passes_the_status_through() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&[
        "sh",
        "-c",
        "echo pid=$$; sleep 30 & kill -TERM $$; sleep 1; exit 7",
    ]);
    b.cgroup(&unique("init"));
    b.edit(|c| c["annotations"] = serde_json::json!({"dev.berth.init": "true"}));
    let (code, out, err) = rt.run_bundle(&b, "init1");
    // The program is not PID 1, so SIGTERM (no handler) kills it; the init exits 128+15
    // and takes the orphaned sleep with it.
    assert_eq!(out, "pid=2\n", "stderr: {err}");
    assert_eq!(code, 143, "stderr: {err}");
}
