//! Watching and adjusting containers: `stats`, `update`, `port`, `events`.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::*;

/// A v1 (hybrid host) or v2 cgroup file of a container under berth's default parent.
fn cgroup_file(controller: &str, id: &str, v1: &str, v2: &str) -> String {
    let p1 = Path::new("/sys/fs/cgroup")
        .join(controller)
        .join("berth")
        .join(id)
        .join(v1);
    let p2 = Path::new("/sys/fs/cgroup/berth").join(id).join(v2);
    std::fs::read_to_string(&p1)
        .or_else(|_| std::fs::read_to_string(&p2))
        .unwrap_or_else(|e| panic!("read {} or {}: {e}", p1.display(), p2.display()))
        .trim()
        .to_string()
}

fn now_unix() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

#[test]
fn stats_show_limits_pids_and_formats() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let id = b.ok(&[
        "run", "-d", "-m", "64m", "--name", "st", "busybox", "sleep", "1000",
    ]);
    let id = id.trim();
    let table = b.ok(&["stats", "--no-stream"]);
    let mut lines = table.lines();
    // Column names in Docker's order; the padding follows the widest cell (BLOCK I/O
    // grows with what the container happened to read), as Docker's tabwriter does.
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS"
        ],
        "{table}"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{}   st ", &id[..12])), "{row}");
    assert!(row.contains(" / 64MiB "), "{row}");
    assert!(row.ends_with("   1"), "{row}");
    assert!(lines.next().is_none(), "{table}");
    // `berth container stats`, a template, and json.
    let t = b.ok(&[
        "container",
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.MemUsage}}",
        "st",
    ]);
    assert!(t.starts_with("st ") && t.ends_with(" / 64MiB\n"), "{t}");
    let j: serde_json::Value = serde_json::from_str(
        b.ok(&["stats", "--no-stream", "--format", "json", "st"])
            .trim(),
    )
    .unwrap();
    assert_eq!(j["Name"], "st");
    assert_eq!(j["Container"], "st");
    assert_eq!(j["ID"], &id[..12]);
    assert_eq!(j["PIDs"], "1");
    assert!(j["MemPerc"].as_str().unwrap().ends_with('%'));
    // A busy container shows CPU use (two samples 500 ms apart).
    b.ok(&[
        "run",
        "-d",
        "--name",
        "busy",
        "busybox",
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    let cpu = b.ok(&["stats", "--no-stream", "--format", "{{.CPUPerc}}", "busy"]);
    let pct: f64 = cpu.trim().trim_end_matches('%').parse().unwrap();
    assert!(pct > 5.0, "{cpu}");
    b.ok(&["rm", "-f", "busy"]);
    // Stopped containers: only with -a (or by name), all zeros.
    b.ok(&["stop", "-t", "0", "st"]);
    assert_eq!(b.ok(&["stats", "--no-stream", "--format", "{{.Name}}"]), "");
    assert_eq!(
        b.ok(&[
            "stats",
            "-a",
            "--no-stream",
            "--format",
            "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}"
        ]),
        "st 0.00% 0B / 0B 0B / 0B 0B / 0B 0\n"
    );
    let missing = b.run(&["stats", "--no-stream", "nope"]);
    assert_eq!(code(&missing), 1);
    assert_eq!(
        stderr(&missing),
        "Error response from daemon: No such container: nope\n"
    );
}

#[test]
fn update_changes_live_limits_and_keeps_them() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let id = b.ok(&[
        "run", "-d", "-m", "64m", "--name", "up", "busybox", "sleep", "1000",
    ]);
    let id = id.trim();
    let limit = || cgroup_file("memory", id, "memory.limit_in_bytes", "memory.max");
    assert_eq!(limit(), (64u64 << 20).to_string());
    // Memory+swap is twice -m: raising memory past it needs --memory-swap (Docker's rule).
    let too_big = b.run(&["update", "-m", "200m", "up"]);
    assert_eq!(code(&too_big), 1);
    assert!(
        stderr(&too_big).contains(&format!("Error response from daemon: Cannot update container {id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")),
        "{}",
        stderr(&too_big)
    );
    assert_eq!(b.ok(&["update", "-m", "100m", "up"]), "up\n");
    assert_eq!(limit(), (100u64 << 20).to_string());
    assert_eq!(
        b.inspect("up", "{{.HostConfig.Memory}}"),
        (100u64 << 20).to_string()
    );
    // Proven by behaviour: 40 MiB held in memory fits now, not under a 16 MiB limit.
    let hog = [
        "exec",
        "up",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=41943040",
        "count=1",
    ];
    assert_eq!(code(&b.run(&hog)), 0);
    assert_eq!(
        b.ok(&[
            "container",
            "update",
            "-m",
            "16m",
            "--memory-swap",
            "16m",
            "up"
        ]),
        "up\n"
    );
    assert_eq!(limit(), (16u64 << 20).to_string());
    assert_ne!(code(&b.run(&hog)), 0);
    // pids: the limit is written, and forks past it fail.
    assert_eq!(b.ok(&["update", "--pids-limit", "4", "up"]), "up\n");
    assert_eq!(cgroup_file("pids", id, "pids.max", "pids.max"), "4");
    assert_eq!(b.inspect("up", "{{.HostConfig.PidsLimit}}"), "4");
    let forks = b.run(&[
        "exec",
        "up",
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6; do sleep 2 & done; wait",
    ]);
    assert!(stderr(&forks).contains("fork"), "{}", stderr(&forks));
    // A restart keeps what update set.
    b.ok(&["restart", "-t", "0", "up"]);
    assert_eq!(limit(), (16u64 << 20).to_string());
    assert_eq!(cgroup_file("pids", id, "pids.max", "pids.max"), "4");
    // Bad values and no flags: Docker's errors.
    let bad = b.run(&["update", "-m", "lots", "up"]);
    assert_eq!(code(&bad), 125);
    assert!(
        stderr(&bad).starts_with("invalid argument \"lots\" for \"-m, --memory\" flag"),
        "{}",
        stderr(&bad)
    );
    let none = b.run(&["update", "up"]);
    assert_eq!(code(&none), 1);
    assert_eq!(
        stderr(&none),
        "you must provide one or more flags when using this command\n"
    );
}

#[test]
fn update_restart_policy_reaches_the_running_monitor() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "flaky",
        "busybox",
        "sh",
        "-c",
        "sleep 1; exit 3",
    ]);
    assert_eq!(
        b.ok(&["update", "--restart", "on-failure:1", "flaky"]),
        "flaky\n"
    );
    assert_eq!(
        b.inspect("flaky", "{{.HostConfig.RestartPolicy.Name}}"),
        "on-failure"
    );
    b.until(20, "one restart, then exited", |b| {
        b.inspect("flaky", "{{.State.Status}}") == "exited"
            && b.inspect("flaky", "{{.RestartCount}}") == "1"
    });
    assert_eq!(b.inspect("flaky", "{{.State.ExitCode}}"), "3");
    // --rm containers keep "no".
    b.ok(&[
        "run", "-d", "--rm", "--name", "gone", "busybox", "sleep", "1000",
    ]);
    let r = b.run(&["update", "--restart", "always", "gone"]);
    assert_eq!(code(&r), 1);
    assert!(
        stderr(&r).contains(
            "Restart policy cannot be updated because AutoRemove is enabled for the container"
        ),
        "{}",
        stderr(&r)
    );
}

#[test]
fn port_without_published_ports() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["run", "-d", "--name", "np", "busybox", "sleep", "1000"]);
    assert_eq!(b.ok(&["port", "np"]), "");
    let r = b.run(&["container", "port", "np", "80"]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        "Error: No public port '80/tcp' published for np\n"
    );
    let r = b.run(&["port", "nope"]);
    assert_eq!(
        stderr(&r),
        "Error response from daemon: No such container: nope\n"
    );
}

#[test]
fn events_record_a_run_rm_in_order() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let since = now_unix();
    b.ok(&["run", "--rm", "--name", "one", "busybox", "true"]);
    b.run(&[
        "run", "--rm", "--name", "three", "busybox", "sh", "-c", "exit 3",
    ]);
    let until = now_unix();
    let out = b.ok(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "container=one",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    let actions: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
    assert_eq!(
        actions,
        ["create", "attach", "start", "die", "destroy"],
        "{out}"
    );
    let id = lines[0].split(' ').nth(3).unwrap();
    assert_eq!(id.len(), 64);
    let ts = lines[0].split(' ').next().unwrap();
    assert!(
        ts.len() == 30
            && ts.ends_with('Z')
            && ts.as_bytes()[10] == b'T'
            && ts.as_bytes()[19] == b'.',
        "{ts}"
    );
    assert!(
        lines[0].ends_with(&format!("container create {id} (image=busybox, name=one)")),
        "{out}"
    );
    assert!(
        lines[3].ends_with(&format!(
            "container die {id} (exitCode=0, image=busybox, name=one)"
        )),
        "{out}"
    );
    // Filter and template, through `system events`.
    let codes = b.ok(&[
        "system",
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "event=die",
        "--format",
        "{{.Actor.Attributes.exitCode}}",
    ]);
    assert_eq!(codes, "0\n3\n");
    let json = b.ok(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "event=destroy",
        "--format",
        "json",
    ]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["Type"], "container");
    assert_eq!(first["Action"], "destroy");
    assert_eq!(first["status"], "destroy");
    assert_eq!(first["from"], "busybox");
    assert_eq!(first["Actor"]["Attributes"]["name"], "one");
    assert_eq!(first["scope"], "local");
    // Nothing before --since.
    assert_eq!(
        b.ok(&["events", "--since", &until, "--until", &now_unix()]),
        ""
    );
    let bad = b.run(&["events", "--since", "yesterday", "--until", "1"]);
    assert_ne!(code(&bad), 0);
}

#[test]
fn events_follower_sees_a_later_start() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let mut child = b
        .cmd()
        .args([
            "events",
            "--filter",
            "event=start",
            "--format",
            "{{.Actor.Attributes.name}}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Let the follower open the journal, then start a container.
    std::thread::sleep(Duration::from_millis(500));
    b.ok(&["run", "-d", "--name", "late", "busybox", "sleep", "1000"]);
    let got = rx.recv_timeout(Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got.unwrap(), "late");
}
