//! Detached containers: start, stop, kill, restart policies, logs, exec, the monitor.

use super::*;

#[test]
fn detached_lifecycle_ps_stop_rm() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let id = b.ok(&["run", "-d", "--name", "web", "busybox", "sleep", "1000"]);
    let id = id.trim();
    assert_eq!(id.len(), 64);
    let ps = b.ok(&["ps"]);
    assert!(ps.starts_with("CONTAINER ID"), "{ps}");
    assert!(
        ps.contains(&id[..12]) && ps.contains("web") && ps.contains("Up "),
        "{ps}"
    );
    assert!(ps.contains("\"sleep 1000\""), "{ps}");
    assert_eq!(b.inspect("web", "{{.State.Status}}"), "running");
    assert_eq!(
        b.ok(&["ps", "--format", "{{.Names}} {{.State}}"]),
        "web running\n"
    );
    // Removing a running container needs -f.
    let rm = b.run(&["rm", "web"]);
    assert_eq!(code(&rm), 1);
    assert!(
        stderr(&rm).contains("You cannot remove a running container"),
        "{}",
        stderr(&rm)
    );
    // sleep as PID 1 ignores SIGTERM: stop kills it after the timeout.
    assert_eq!(b.ok(&["stop", "-t", "1", "web"]), "web\n");
    assert_eq!(b.inspect("web", "{{.State.Status}}"), "exited");
    assert_eq!(b.inspect("web", "{{.State.ExitCode}}"), "137");
    assert!(b.ok(&["ps"]).lines().count() == 1);
    assert!(b.ok(&["ps", "-a"]).contains("Exited (137)"));
    // Started again, then killed with a signal of our choice.
    b.ok(&["start", "web"]);
    assert_eq!(b.inspect("web", "{{.State.Status}}"), "running");
    b.ok(&["kill", "-s", "TERM", "web"]);
    b.ok(&["kill", "web"]);
    assert_eq!(b.ok(&["wait", "web"]), "137\n");
    assert_eq!(b.ok(&["rm", "web"]), "web\n");
    assert_eq!(b.ok(&["ps", "-aq"]), "");
}

#[test]
fn logs_keep_both_streams() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "talk",
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; echo three",
    ]);
    assert_eq!(b.ok(&["wait", "talk"]), "0\n");
    let out = b.run(&["logs", "talk"]);
    assert_eq!(stdout(&out), "one\nthree\n");
    assert_eq!(stderr(&out), "two\n");
    // stdout and stderr are separate pipes: only the order within a stream is kept.
    let last = b.run(&["logs", "--tail", "1", "talk"]);
    assert_eq!(
        format!("{}{}", stdout(&last), stderr(&last))
            .lines()
            .count(),
        1
    );
    let ts = b.ok(&["logs", "-t", "talk"]);
    assert!(ts.starts_with("20") && ts.contains("Z one"), "{ts}");
    // The log file is Docker's json-file.
    let id = b.inspect("talk", "{{.Id}}");
    let log =
        std::fs::read_to_string(b.root().join(format!("containers/{id}/{id}-json.log"))).unwrap();
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(first["log"], "one\n");
    assert_eq!(first["stream"], "stdout");
}

#[test]
fn exec_runs_in_the_container() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run", "-d", "--name", "box", "-e", "A=1", "busybox", "sleep", "1000",
    ]);
    assert_eq!(
        b.ok(&["exec", "box", "sh", "-c", "echo $A $(hostname)"])
            .trim()
            .split(' ')
            .next(),
        Some("1")
    );
    assert_eq!(code(&b.run(&["exec", "box", "sh", "-c", "exit 5"])), 5);
    // Nothing but the process's own output: no runtime chatter (such as the syscalls of
    // Docker's seccomp profile this libseccomp does not know) on the user's terminal.
    let quiet = b.run(&["exec", "box", "true"]);
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    assert_eq!(b.ok(&["exec", "-u", "berth", "box", "id", "-u"]), "1000\n");
    assert_eq!(b.ok(&["exec", "-w", "/tmp", "box", "pwd"]), "/tmp\n");
    // The exec'd process shares the container's pid namespace.
    let ps = b.ok(&["exec", "box", "ps", "-o", "comm"]);
    assert!(ps.contains("sleep"), "{ps}");
    // A detached exec outlives the `exec -d` that started it.
    assert_eq!(
        b.ok(&[
            "exec",
            "-d",
            "box",
            "sh",
            "-c",
            "sleep 1; touch /detached-ran"
        ]),
        ""
    );
    std::thread::sleep(Duration::from_millis(1800));
    assert_eq!(
        code(&b.run(&["exec", "box", "test", "-e", "/detached-ran"])),
        0,
        "the detached exec was killed when its starter exited"
    );
    b.ok(&["stop", "-t", "0", "box"]);
    let stopped = b.run(&["exec", "box", "true"]);
    assert_eq!(code(&stopped), 1);
    assert!(
        stderr(&stopped).contains("is not running"),
        "{}",
        stderr(&stopped)
    );
}

#[test]
fn monitor_outlives_a_killed_cli() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let mut cli = b
        .cmd()
        .args([
            "run",
            "--name",
            "survivor",
            "busybox",
            "sh",
            "-c",
            "sleep 1; echo done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    b.until(10, "the container to run", |b| {
        b.run(&["inspect", "-f", "{{.State.Status}}", "survivor"])
            .stdout
            .starts_with(b"running")
    });
    cli.kill().unwrap();
    let _ = cli.wait();
    assert_eq!(b.ok(&["wait", "survivor"]), "0\n");
    assert_eq!(b.ok(&["logs", "survivor"]), "done\n");
}

#[test]
fn restart_on_failure_counts_and_stops() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "crash",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "echo x; exit 1",
    ]);
    b.until(20, "two restarts", |b| {
        b.inspect("crash", "{{.State.Status}}") == "exited"
            && b.inspect("crash", "{{.RestartCount}}") == "2"
    });
    assert_eq!(b.ok(&["logs", "crash"]), "x\nx\nx\n");
    assert_eq!(b.inspect("crash", "{{.State.ExitCode}}"), "1");
}

#[test]
fn pause_and_unpause() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["run", "-d", "--name", "pz", "busybox", "sleep", "1000"]);
    b.ok(&["pause", "pz"]);
    assert_eq!(b.inspect("pz", "{{.State.Status}}"), "paused");
    assert!(b.ok(&["ps"]).contains("(Paused)"));
    b.ok(&["unpause", "pz"]);
    assert_eq!(b.inspect("pz", "{{.State.Status}}"), "running");
    b.ok(&["rm", "-f", "pz"]);
    assert_eq!(b.ok(&["ps", "-aq"]), "");
}

#[test]
fn top_rename_and_attach() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "first",
        "busybox",
        "sh",
        "-c",
        "sleep 2; echo late; exit 4",
    ]);
    let top = b.ok(&["top", "first"]);
    assert!(top.starts_with("UID") && top.contains("sleep 2"), "{top}");
    b.ok(&["rename", "first", "second"]);
    assert_eq!(b.inspect("second", "{{.Name}}"), "/second");
    assert_eq!(code(&b.run(&["inspect", "first"])), 1);
    // attach gets what the container prints from now on, and its exit code.
    let out = b.run(&["attach", "second"]);
    assert_eq!(stdout(&out), "late\n");
    assert_eq!(code(&out), 4);
    let stopped = b.run(&["attach", "second"]);
    assert_ne!(code(&stopped), 0);
    assert!(
        stderr(&stopped).contains("You cannot attach to a stopped container"),
        "{}",
        stderr(&stopped)
    );
}

#[test]
fn foreground_run_forwards_signals() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let cli = b
        .cmd()
        .args([
            "run",
            "--name",
            "sig",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 5' TERM; echo ready; while true; do sleep 0.1; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    b.until(10, "the container to run", |b| {
        stdout(&b.run(&["logs", "sig"])).contains("ready")
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(cli.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = cli.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ready\ngot TERM\n");
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn logs_follow_until_the_container_stops() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "slow",
        "busybox",
        "sh",
        "-c",
        "echo a; sleep 1; echo b",
    ]);
    // Started while the container still runs: gets the later line too, then ends.
    assert_eq!(b.ok(&["logs", "-f", "slow"]), "a\nb\n");
}

#[test]
fn health_shows_in_ps_and_inspect() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "doc",
        "--health-cmd",
        "test -f /tmp/ok",
        "--health-interval",
        "300ms",
        "--health-retries",
        "2",
        "busybox",
        "sleep",
        "60",
    ]);
    // The file is missing: two failed probes make it unhealthy.
    b.until(15, "unhealthy", |b| {
        b.inspect("doc", "{{.State.Health.Status}}") == "unhealthy"
    });
    let ps = b.ok(&["ps", "--format", "{{.Status}}"]);
    assert!(ps.trim().ends_with("(unhealthy)"), "{ps}");
    let fails = b.inspect("doc", "{{.State.Health.FailingStreak}}");
    assert!(fails.parse::<u32>().unwrap() >= 2, "{fails}");
    // Fixed: the next probe makes it healthy again.
    b.ok(&["exec", "doc", "touch", "/tmp/ok"]);
    b.until(15, "healthy", |b| {
        b.inspect("doc", "{{.State.Health.Status}}") == "healthy"
    });
    let ps = b.ok(&["ps", "--format", "{{.Status}}"]);
    assert!(ps.trim().ends_with("(healthy)"), "{ps}");
    let full: serde_json::Value = serde_json::from_str(&b.ok(&["inspect", "doc"])).unwrap();
    let log = full[0]["State"]["Health"]["Log"].as_array().unwrap();
    assert_eq!(log.last().unwrap()["ExitCode"], 0, "{log:?}");
    assert!(log.iter().any(|e| e["ExitCode"] == 1), "{log:?}");
}
