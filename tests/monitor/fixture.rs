//! A container under a monitor, and what a test needs to watch it.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::{bin_dir, cgroup_exists, Bundle};
use monitor::config::{LogOpts, MonitorConfig};
use monitor::state::MonitorState;
use monitor::{Client, Frame, SpawnError, Spawned};

pub fn monitor_bin() -> PathBuf {
    let p = bin_dir().join("berth-monitor");
    assert!(
        p.exists(),
        "{} missing: run `cargo build -p monitor -p runtime-cli` first",
        p.display()
    );
    p
}

pub struct Fixture {
    pub bundle: Bundle,
    pub dir: tempfile::TempDir,
    pub cfg: MonitorConfig,
    pub cgroup: String,
}

/// Everything a client saw until EOF.
#[derive(Debug, Default)]
pub struct Seen {
    pub stdout: String,
    pub stderr: String,
    pub exits: Vec<i32>,
    pub started: Vec<i32>,
}

impl Fixture {
    pub fn new(args: &[&str]) -> Fixture {
        let mut bundle = Bundle::new(args);
        let id = e2e::unique("mon");
        let cgroup = bundle.cgroup(&id);
        let dir = tempfile::Builder::new()
            .prefix("berth-mon-")
            .tempdir()
            .unwrap();
        let cfg = MonitorConfig {
            id,
            bundle: bundle.path().to_path_buf(),
            runtime_root: dir.path().join("root"),
            run_dir: dir.path().join("run"),
            log: Some(LogOpts {
                path: dir.path().join("x-json.log"),
                max_size: 0,
                max_files: 1,
            }),
            ..Default::default()
        };
        Fixture {
            bundle,
            dir,
            cfg,
            cgroup,
        }
    }

    pub fn run_dir(&self) -> &Path {
        &self.cfg.run_dir
    }

    /// Spawns with an attach client made before the container starts.
    pub fn spawn(&self) -> (Spawned, Client) {
        let (s, c) = try_spawn_attached(&self.cfg, false);
        (s.unwrap_or_else(|e| panic!("spawn: {e}")), c)
    }

    /// As `spawn`, the client having said `REMOVE` before the monitor starts (as the
    /// foreground `run --rm` does).
    pub fn spawn_removing(&self) -> (Spawned, Client) {
        let (s, c) = try_spawn_attached(&self.cfg, true);
        (s.unwrap_or_else(|e| panic!("spawn: {e}")), c)
    }

    /// Sets `on_exit` to create a marker file; returns the marker's path.
    pub fn on_exit_marker(&mut self) -> PathBuf {
        let marker = self.dir.path().join("on-exit-ran");
        self.cfg.on_exit = vec!["/bin/touch".into(), marker.to_string_lossy().into_owned()];
        marker
    }

    pub fn try_spawn(&self) -> Result<Spawned, SpawnError> {
        monitor::spawn(&monitor_bin(), &self.cfg, None)
    }

    pub fn state(&self) -> MonitorState {
        monitor::state::read(self.run_dir())
            .unwrap()
            .expect("no state.json")
    }

    /// Polls the state until `f` holds (or fails after `secs`).
    pub fn wait_state(&self, secs: u64, f: impl Fn(&MonitorState) -> bool) -> MonitorState {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = monitor::state::read(self.run_dir()).unwrap();
            if let Some(s) = s.as_ref().filter(|s| f(s)) {
                return s.clone();
            }
            assert!(Instant::now() < deadline, "state never matched: {s:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asks the monitor to stop restarting and kills the container.
    pub fn stop(&self) {
        std::fs::write(self.run_dir().join("stopping"), "").unwrap();
        if let Some(s) = monitor::state::read(self.run_dir()).ok().flatten() {
            if s.pid > 0 {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(s.pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }

    pub fn log_entries(&self) -> Vec<serde_json::Value> {
        let p = &self.cfg.log.as_ref().unwrap().path;
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad log line {l:?}: {e}")))
            .collect()
    }
}

/// Spawns a monitor for `cfg` with an attach client made before the container starts
/// (having said `REMOVE` if `removes`); callable from any thread.
pub fn try_spawn_attached(
    cfg: &MonitorConfig,
    removes: bool,
) -> (Result<Spawned, SpawnError>, Client) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut c = Client::from_stream(ours).unwrap();
    if removes {
        c.will_remove().unwrap();
    }
    let s = monitor::spawn(&monitor_bin(), cfg, Some(OwnedFd::from(theirs)));
    (s, c)
}

pub fn alive(pid: i32) -> bool {
    pid > 0
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                !s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(false)
}

/// Reads frames until EOF.
pub fn collect(c: &mut Client) -> Seen {
    let mut seen = Seen::default();
    while let Some(f) = c.recv().unwrap() {
        match f {
            Frame::Stdout(b) => seen.stdout.push_str(&String::from_utf8_lossy(&b)),
            Frame::Stderr(b) => seen.stderr.push_str(&String::from_utf8_lossy(&b)),
            Frame::Exit(c) => seen.exits.push(c),
            Frame::Started(p) => seen.started.push(p),
            Frame::Dns(a) => panic!("a DNS answer nobody asked for: {a:?}"),
        }
    }
    seen
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop();
        // The monitor deletes the container and exits; make sure of both.
        let deadline = Instant::now() + Duration::from_secs(15);
        let state = || monitor::state::read(&self.cfg.run_dir).ok().flatten();
        while let Some(s) = state() {
            if !alive(s.monitor_pid) || Instant::now() > deadline {
                if alive(s.monitor_pid) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(s.monitor_pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::process::Command::new(e2e::runtime_bin())
            .arg("--root")
            .arg(&self.cfg.runtime_root)
            .args(["delete", "--force", &self.cfg.id])
            .output();
        if !std::thread::panicking() {
            assert!(
                !cgroup_exists(&self.cgroup),
                "cgroup {} left behind",
                self.cgroup
            );
        }
    }
}
