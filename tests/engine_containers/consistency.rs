//! Crash safety and concurrency: `system check` finds and repairs what interrupted
//! operations leave; many containers at once are all accounted for; the CLI killed at
//! random points of `run` and `rm` leaves a state `system check` makes consistent.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::{code, skip, stdout, Berth};

/// The names in a directory (none if it does not exist).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every trace a container can leave under a root, and in the cgroup tree.
fn traces(b: &Berth, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (what, dir) in [
        ("container dir", b.root().join("containers")),
        ("monitor dir", b.root().join("run/c")),
        ("runtime state", b.root().join("run/runtime")),
        ("volume", b.root().join("volumes")),
        ("snapshot", b.root().join("snapshots/overlay/snapshots")),
    ] {
        for n in names(&dir) {
            // The runtime's compiled-seccomp cache is shared by all containers of the
            // root, not a trace of one.
            if what == "runtime state" && n == ".seccomp" {
                continue;
            }
            out.push(format!("{what} {n}"));
        }
    }
    for id in ids {
        for ctrl in ["memory", "pids", "cpu,cpuacct", "freezer"] {
            let p = Path::new("/sys/fs/cgroup")
                .join(ctrl)
                .join("berth")
                .join(id);
            if p.exists() {
                out.push(format!("cgroup {}", p.display()));
            }
        }
    }
    out
}

/// The full ids of all containers.
fn all_ids(b: &Berth) -> Vec<String> {
    stdout(&b.run(&["ps", "-aq", "--no-trunc"]))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn system_check_repairs_orphans_and_a_dead_monitor() {
    if skip() {
        return;
    }
    let b = Berth::new();
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
    b.ok(&["run", "-d", "--name", "orphaned", "busybox", "sleep", "300"]);
    let id = b.inspect("orphaned", "{{.Id}}");
    // What a create killed before its row leaves: a directory and a volume directory.
    let ghost = "ab".repeat(32);
    std::fs::create_dir_all(b.containers_dir().join(&ghost)).unwrap();
    std::fs::create_dir_all(b.root().join("volumes").join(&ghost).join("_data")).unwrap();
    // A monitor killed: the container runs on with nothing watching it.
    let state =
        std::fs::read_to_string(b.root().join("run/c").join(&id).join("state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&state).unwrap();
    let monitor = v["monitor_pid"].as_i64().unwrap() as i32;
    let container = v["pid"].as_i64().unwrap() as i32;
    kill9(monitor);
    std::thread::sleep(Duration::from_millis(200));

    let dry = b.run(&["system", "check", "--dry-run"]);
    assert_eq!(code(&dry), 1, "{}", stdout(&dry));
    let report = stdout(&dry);
    assert!(report.contains("running without its monitor"), "{report}");
    assert!(report.contains(&format!("directory of unknown container {}", &ghost[..12])));
    assert!(report.contains("volume directory"), "{report}");
    // A dry run changed nothing.
    assert!(b.containers_dir().join(&ghost).exists());
    assert!(Path::new(&format!("/proc/{container}")).exists());

    let fixed = b.ok(&["system", "check"]);
    assert!(fixed.contains("repaired: container"), "{fixed}");
    assert!(fixed.contains("3 problem(s) repaired"), "{fixed}");
    assert!(!b.containers_dir().join(&ghost).exists());
    assert!(!b.root().join("volumes").join(&ghost).exists());
    // The container was stopped and is recorded so.
    b.until(5, "the container to die", |_| {
        !Path::new(&format!("/proc/{container}/stat")).exists()
            || std::fs::read_to_string(format!("/proc/{container}/stat"))
                .is_ok_and(|s| s.contains(") Z"))
    });
    assert_eq!(b.inspect("orphaned", "{{.State.Status}}"), "exited");
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
    b.ok(&["rm", "orphaned"]);
    assert_eq!(traces(&b, &[id]), Vec::<String>::new());
}

/// SIGKILL by pid (a process this test's container started).
fn kill9(pid: i32) {
    let st = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn fifty_containers_started_in_parallel_are_all_accounted_for() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let b = &b;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                s.spawn(move || {
                    b.run(&[
                        "run",
                        "-d",
                        "--name",
                        &format!("par{i}"),
                        "busybox",
                        "sleep",
                        "120",
                    ])
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            let out = h.join().unwrap();
            assert_eq!(
                code(&out),
                0,
                "par{i}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    let running = b.ok(&["ps", "--format", "{{.Names}}"]);
    let mut got: Vec<&str> = running.lines().collect();
    got.sort();
    let mut want: Vec<String> = (0..50).map(|i| format!("par{i}")).collect();
    want.sort();
    assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>());
    let ids = all_ids(b);
    assert_eq!(ids.len(), 50);
    // Each one really runs its own sleep.
    for name in ["par0", "par25", "par49"] {
        assert_eq!(b.inspect(name, "{{.State.Running}}"), "true");
    }
    // And all go away in parallel too, leaving nothing.
    std::thread::scope(|s| {
        for i in 0..50 {
            s.spawn(move || {
                let out = b.run(&["rm", "-f", &format!("par{i}")]);
                assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
            });
        }
    });
    assert_eq!(b.ok(&["ps", "-aq"]), "");
    assert_eq!(traces(b, &ids), Vec::<String>::new());
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn cli_killed_at_random_points_of_run_and_rm_200_times_then_check_is_consistent() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let seed = std::env::var("BERTH_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("chaos seed {seed} (BERTH_CHAOS_SEED={seed} replays it)");
    let mut rng = Lcg(seed);
    let mut seen_ids = Vec::new();
    let started = Instant::now();
    for i in 0..200 {
        let name = format!("ch{}", rng.next(8));
        let args: Vec<String> = match rng.next(4) {
            0 => vec!["run", "--rm", "-v", "/data", "busybox", "true"],
            1 => vec!["run", "-d", "--name", &name, "busybox", "sleep", "30"],
            2 => vec!["rm", "-f", &name],
            _ => vec!["run", "--name", &name, "-v", "/data", "busybox", "true"],
        }
        .into_iter()
        .map(String::from)
        .collect();
        let mut child = b
            .cmd()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill somewhere inside the operation (most take 20-60 ms here), or not at all.
        std::thread::sleep(Duration::from_micros(rng.next(60_000)));
        let _ = child.kill();
        let _ = child.wait();
        if i % 20 == 0 {
            seen_ids.extend(all_ids(&b));
        }
    }
    eprintln!("200 killed operations in {:?}", started.elapsed());
    // Let --rm monitors whose CLI died finish their own cleanup.
    std::thread::sleep(Duration::from_millis(500));
    seen_ids.extend(all_ids(&b));
    let first = b.run(&["system", "check"]);
    let report = stdout(&first);
    eprintln!("{report}");
    assert_eq!(code(&first), 0, "check left problems:\n{report}");
    // Consistent now: a second pass finds nothing.
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
    // Every container left is whole: it can be inspected and removed.
    for id in all_ids(&b) {
        b.ok(&["inspect", "-f", "{{.State.Status}}", &id]);
        b.ok(&["rm", "-f", "-v", &id]);
    }
    b.ok(&["volume", "prune", "-f"]);
    seen_ids.sort();
    seen_ids.dedup();
    assert_eq!(traces(&b, &seen_ids), Vec::<String>::new());
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
}
