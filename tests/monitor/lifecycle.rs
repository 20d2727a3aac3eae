//! Exit codes, start failures, and a monitor that outlives its spawner.

use std::time::Duration;

use e2e::not_root;
use monitor::{SpawnError, StartErrorKind};

use crate::fixture::{alive, collect, Fixture};

#[test]
fn kill_9_of_the_container_gives_137() {
    if not_root() {
        return;
    }
    let f = Fixture::new(&["sleep", "100"]);
    let (s, mut c) = f.spawn();
    assert!(alive(s.pid) && alive(s.monitor_pid));
    assert_eq!(f.state().status, monitor::state::Status::Running);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert_eq!(collect(&mut c).exits, vec![137]);
    assert_eq!(f.state().exit_code, 137);
}

#[test]
fn command_not_found_is_a_start_error_of_kind_not_found() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["no-such-program-here"]);
    let marker = f.on_exit_marker();
    match f.try_spawn() {
        Err(SpawnError::Start { message, kind }) => {
            assert_eq!(kind, StartErrorKind::NotFound, "{message}");
            assert!(message.contains("no-such-program-here"), "{message}");
        }
        other => panic!("expected a start error, got {other:?}"),
    }
    let s = f.state();
    assert_eq!(s.status, monitor::state::Status::Exited);
    assert_eq!(s.exit_code, 127);
    assert!(s.error.contains("no-such-program-here"), "{s:?}");
    assert!(
        marker.exists(),
        "on_exit must run after a start failure too"
    );
    assert!(!std::path::Path::new(&f.cfg.runtime_root)
        .join(&f.cfg.id)
        .exists());
}

/// A start failure is reported at once to a spawner that said `REMOVE` (the foreground
/// `run --rm` of a missing command): the spawner waits for that report, so the monitor
/// must not wait for it to remove, and cleans up through `on_exit` itself.
#[test]
fn a_start_failure_with_a_removing_client_is_reported_and_cleaned_up_at_once() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["no-such-program-here"]);
    let marker = f.on_exit_marker();
    let cfg = f.cfg.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (r, _client) = crate::fixture::try_spawn_attached(&cfg, true);
        let _ = tx.send(r.map(drop).map_err(|e| e.to_string()));
    });
    // The removal wait is minutes: this bound only tells a hang from a slow machine.
    let r = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("spawn still waiting: the monitor waited for the spawner to remove");
    let err = r.expect_err("the start must fail");
    assert!(err.contains("no-such-program-here"), "{err}");
    assert!(marker.exists(), "on_exit must have run before the report");
}

/// Run as a child process by the test below: spawns a monitor and sleeps.
#[test]
fn helper_spawn_then_sleep() {
    let Some(run_dir) = std::env::var_os("BERTH_MONITOR_TEST_SPAWN") else {
        return;
    };
    let cfg =
        monitor::MonitorConfig::load(&std::path::Path::new(&run_dir).join("want.json")).unwrap();
    let s = monitor::spawn(&crate::fixture::monitor_bin(), &cfg, None).unwrap();
    println!("spawned {}", s.pid);
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn the_monitor_survives_sigkill_of_its_spawner() {
    if not_root() {
        return;
    }
    let f = Fixture::new(&["sleep", "100"]);
    std::fs::create_dir_all(f.run_dir()).unwrap();
    std::fs::write(
        f.run_dir().join("want.json"),
        serde_json::to_vec(&f.cfg).unwrap(),
    )
    .unwrap();
    let mut spawner = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lifecycle::helper_spawn_then_sleep",
            "--nocapture",
        ])
        .env("BERTH_MONITOR_TEST_SPAWN", f.run_dir())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let s = f.wait_state(30, |s| s.status == monitor::state::Status::Running);
    spawner.kill().unwrap();
    spawner.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(alive(s.monitor_pid), "the monitor died with its spawner");
    assert!(alive(s.pid), "the container died with the spawner");
    assert_eq!(f.state().status, monitor::state::Status::Running);
    let mut c = monitor::Client::connect(f.run_dir()).unwrap();
    f.stop();
    assert_eq!(collect(&mut c).exits, vec![137]);
}

/// The foreground `run --rm` removes the container itself: it gets the Exit frame before
/// the monitor's `on_exit`, which does not run once the client says `REMOVED`...
#[test]
fn a_client_that_removes_gets_the_exit_first_and_on_exit_does_not_run() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "exit 4"]);
    let marker = f.on_exit_marker();
    let (_s, mut c) = f.spawn_removing();
    loop {
        match c.recv().unwrap() {
            Some(monitor::Frame::Exit(code)) => {
                assert_eq!(code, 4);
                break;
            }
            Some(_) => {}
            None => panic!("EOF before the Exit frame"),
        }
    }
    assert!(
        !marker.exists(),
        "on_exit ran before the remover had the Exit frame"
    );
    c.removed().unwrap();
    // EOF: the monitor is done with its clients, after deciding about on_exit.
    while c.recv().unwrap().is_some() {}
    assert!(!marker.exists(), "on_exit ran although the client removed");
}

/// ... and does run when that client goes away without saying it (a CLI killed during
/// the removal), so an `--rm` container is removed all the same.
#[test]
fn on_exit_runs_when_the_removing_client_goes_away_without_removing() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "exit 5"]);
    let marker = f.on_exit_marker();
    let (_s, mut c) = f.spawn_removing();
    while !matches!(c.recv().unwrap(), Some(monitor::Frame::Exit(5)) | None) {}
    assert!(!marker.exists());
    drop(c);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "on_exit never ran after the removing client left"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The monitor starts without the spawner waiting for its exec: a monitor binary that
/// cannot run is still a clear error, from the spawn when it is missing or not
/// executable, and from `start` when its exec fails (nothing is left running).
#[test]
fn a_monitor_binary_that_cannot_run_is_a_clear_error() {
    if not_root() {
        return;
    }
    let f = Fixture::new(&["true"]);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("berth-monitor");
    let err = monitor::spawn::prestart(&missing, None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("start {}", missing.display())),
        "{err}"
    );
    std::fs::write(&missing, "").unwrap();
    let err = monitor::spawn::prestart(&missing, None).unwrap_err();
    assert!(err.to_string().contains("Permission denied"), "{err}");
    // Executable, but not a program the kernel can run (no #! line, no ELF header).
    std::fs::set_permissions(
        &missing,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let canonical = std::fs::canonicalize(&missing).unwrap();
    let started = std::time::Instant::now();
    let err = monitor::spawn::prestart(&missing, None)
        .unwrap()
        .start(&f.cfg)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "berth-monitor for {} exited (exit status 127) without reporting: could not execute {}: unexpected end of file",
            f.cfg.id,
            canonical.display()
        )
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!std::path::Path::new(&f.cfg.runtime_root)
        .join(&f.cfg.id)
        .exists());
}
