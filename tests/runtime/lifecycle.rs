//! create → created → start → running → stopped → delete, as runc reports them.

use e2e::{cgroup_exists, not_root, unique, Bundle, Runtime};

use super::basics::wait_for_status;

#[test]
fn create_start_kill_delete() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "100"]);
    let cg = b.cgroup(&unique("life"));
    let pidfile = b.path().join("pid");
    rt.start_detached(&[
        "create",
        "--bundle",
        b.path().to_str().unwrap(),
        "--pid-file",
        pidfile.to_str().unwrap(),
        "c1",
    ]);
    let st = rt.state("c1");
    assert_eq!(st["status"], "created");
    assert_eq!(st["id"], "c1");
    let pid = st["pid"].as_i64().unwrap();
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap(), pid.to_string());
    assert!(cgroup_exists(&cg));
    // A second create with the same id fails and leaves the first alone.
    let out = rt.run(&["create", "--bundle", b.path().to_str().unwrap(), "c1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(rt.state("c1")["status"], "created");

    rt.ok(&["start", "c1"]);
    assert_eq!(rt.state("c1")["status"], "running");
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim(), "sleep");
    // Deleting a running container needs --force.
    assert_eq!(rt.run(&["delete", "c1"]).status.code(), Some(1));
    let list = rt.ok(&["list", "--format", "json"]);
    assert!(list.contains("\"c1\""), "{list}");
    let ps: Vec<i64> = serde_json::from_str(&rt.ok(&["ps", "--format", "json", "c1"])).unwrap();
    assert_eq!(ps, vec![pid]);

    // sleep as pid 1 has no handler for SIGTERM: the kernel drops it, as for runc.
    rt.ok(&["kill", "c1", "KILL"]);
    wait_for_status(&rt, "c1", "stopped");
    assert_eq!(rt.state("c1")["pid"], 0);
    rt.ok(&["delete", "c1"]);
    assert!(!rt.root.path().join("c1").exists());
    assert!(!cgroup_exists(&cg), "cgroup left after delete");
    let out = rt.run(&["state", "c1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn delete_force_kills_and_removes_a_running_container() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "100"]);
    let cg = b.cgroup(&unique("force"));
    rt.start_detached(&["run", "-d", "--bundle", b.path().to_str().unwrap(), "c1"]);
    let pid = rt.state("c1")["pid"].as_i64().unwrap();
    rt.ok(&["delete", "--force", "c1"]);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap()
                .contains(") Z")
    );
    assert!(!cgroup_exists(&cg));
}

#[test]
fn exec_runs_in_the_container() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "100"]);
    b.edit(|c| c["hostname"] = serde_json::json!("exec-box"));
    rt.start_detached(&["run", "-d", "--bundle", b.path().to_str().unwrap(), "c1"]);
    let out = rt.ok(&[
        "exec",
        "--env",
        "FOO=bar",
        "--cwd",
        "/tmp",
        "c1",
        "sh",
        "-c",
        "hostname; echo $FOO; pwd; id -u",
    ]);
    assert_eq!(out, "exec-box\nbar\n/tmp\n0\n");
    let out = rt.ok(&["exec", "--user", "1000:1000", "c1", "id"]);
    assert!(out.starts_with("uid=1000(berth) gid=1000(berth)"), "{out}");
    let out = rt.run(&["exec", "c1", "sh", "-c", "exit 5"]);
    assert_eq!(out.status.code(), Some(5));
    // Processes of exec share the container's pid namespace and cgroup.
    let ps: Vec<i64> = serde_json::from_str(&rt.ok(&["ps", "--format", "json", "c1"])).unwrap();
    assert_eq!(ps.len(), 1);
    rt.ok(&["delete", "--force", "c1"]);
}

#[test]
fn pause_and_resume_freeze_the_processes() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sh", "-c", "while true; do sleep 0.05; done"]);
    b.cgroup(&unique("pause"));
    rt.start_detached(&["run", "-d", "--bundle", b.path().to_str().unwrap(), "c1"]);
    let pid = rt.state("c1")["pid"].as_i64().unwrap();
    rt.ok(&["pause", "c1"]);
    assert_eq!(rt.state("c1")["status"], "paused");
    let utime = |p: i64| {
        std::fs::read_to_string(format!("/proc/{p}/stat"))
            .unwrap()
            .split(' ')
            .nth(13)
            .unwrap()
            .to_string()
    };
    let before = utime(pid);
    let children_before =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(utime(pid), before);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap(),
        children_before,
        "frozen shell forked"
    );
    rt.ok(&["resume", "c1"]);
    assert_eq!(rt.state("c1")["status"], "running");
    rt.ok(&["delete", "--force", "c1"]);
}

#[test]
fn concurrent_commands_on_one_container_are_serialised() {
    if not_root() {
        return;
    }
    let rt = std::sync::Arc::new(Runtime::new());
    let mut b = Bundle::new(&["sleep", "100"]);
    let cg = b.cgroup(&unique("race"));
    rt.start_detached(&["create", "--bundle", b.path().to_str().unwrap(), "c1"]);
    // start, delete --force, kill and state all at once: whatever order the lock gives,
    // the container ends deleted and nothing is left.
    let handles: Vec<_> = [
        vec!["start", "c1"],
        vec!["delete", "--force", "c1"],
        vec!["kill", "c1", "KILL"],
        vec!["state", "c1"],
        vec!["delete", "--force", "c1"],
    ]
    .into_iter()
    .map(|args| {
        let rt = rt.clone();
        std::thread::spawn(move || {
            let args: Vec<&str> = args.to_vec();
            rt.cmd()
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap()
        })
    })
    .collect();
    for h in handles {
        h.join().unwrap();
    }
    let _ = rt.run(&["delete", "--force", "c1"]);
    assert!(!rt.root.path().join("c1").exists());
    assert!(!cgroup_exists(&cg));
}

#[test]
fn exec_from_process_json_detached_with_pid_file_and_kill_all() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "100"]);
    b.cgroup(&unique("execp"));
    rt.start_detached(&["run", "-d", "--bundle", b.path().to_str().unwrap(), "c1"]);
    let dir = tempfile::tempdir().unwrap();
    let process = dir.path().join("process.json");
    let mut p = b.config["process"].clone();
    p["args"] = serde_json::json!(["sleep", "77"]);
    p["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
    std::fs::write(&process, serde_json::to_vec(&p).unwrap()).unwrap();
    let pidfile = dir.path().join("exec.pid");
    rt.start_detached(&[
        "exec",
        "-d",
        "--pid-file",
        pidfile.to_str().unwrap(),
        "-p",
        process.to_str().unwrap(),
        "c1",
    ]);
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.contains("1000")),
        "{status}"
    );
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap(),
        concat!("sleep\0", "77\0")
    );
    let ps: Vec<i32> = serde_json::from_str(&rt.ok(&["ps", "--format", "json", "c1"])).unwrap();
    assert!(
        ps.contains(&pid),
        "exec'd process not in the container's cgroup: {ps:?}"
    );
    rt.ok(&["kill", "--all", "c1", "KILL"]);
    super::basics::wait_for_status(&rt, "c1", "stopped");
    for _ in 0..200 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "kill --all left the exec'd process alive"
    );
    rt.ok(&["delete", "c1"]);
}
