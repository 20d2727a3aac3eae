//! Docker's healthcheck: every `interval` the test runs inside the container (joined
//! by the runtime's `exec`, in a helper child) with a `timeout`; exit 0 is a success.
//! One success makes the container healthy, `retries` consecutive failures unhealthy;
//! failures within `start_period` of the start do not count while it is still
//! starting. The last five results are kept (moby daemon/health.go).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::unistd::Pid;

use crate::config::{Health, MonitorConfig};
use crate::error::{Context, Result};
use crate::state::{HealthResult, HealthState, HealthStatus};

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: u32 = 3;
const MAX_OUTPUT: usize = 4096;
const MAX_LOG: usize = 5;

/// The argv a healthcheck test runs; `None` for no check (`NONE`, empty, unknown).
pub fn argv(test: &[String]) -> Option<Vec<String>> {
    match test.split_first() {
        Some((k, rest)) if k == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        Some((k, rest)) if k == "CMD-SHELL" && !rest.is_empty() => {
            Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")])
        }
        _ => None,
    }
}

fn ns(n: u64, default: Duration) -> Duration {
    if n == 0 {
        default
    } else {
        Duration::from_nanos(n)
    }
}

struct Probe {
    pid: Pid,
    out: Option<OwnedFd>,
    output: Vec<u8>,
    started: String,
    deadline: Instant,
}

pub struct Checker {
    argv: Vec<String>,
    interval: Duration,
    timeout: Duration,
    start_period: Duration,
    retries: u32,
    container_started: Instant,
    next: Instant,
    probe: Option<Probe>,
}

impl Checker {
    /// A checker for a container that started at `now`; `None` without a check.
    pub fn new(h: &Health, now: Instant) -> Option<Checker> {
        let interval = ns(h.interval_ns, DEFAULT_INTERVAL);
        Some(Checker {
            argv: argv(&h.test)?,
            interval,
            timeout: ns(h.timeout_ns, DEFAULT_TIMEOUT),
            start_period: Duration::from_nanos(h.start_period_ns),
            retries: if h.retries == 0 {
                DEFAULT_RETRIES
            } else {
                h.retries
            },
            container_started: now,
            next: now + interval,
            probe: None,
        })
    }

    /// When the loop must wake for us next.
    pub fn wake_at(&self) -> Instant {
        self.probe.as_ref().map_or(self.next, |p| p.deadline)
    }

    pub fn probe_pid(&self) -> Option<Pid> {
        self.probe.as_ref().map(|p| p.pid)
    }

    pub fn output_fd(&self) -> Option<BorrowedFd<'_>> {
        self.probe.as_ref()?.out.as_ref().map(|f| f.as_fd())
    }

    /// Reads what the probe wrote (keeping the first 4 KiB).
    pub fn read_output(&mut self) {
        let Some(p) = self.probe.as_mut() else { return };
        let Some(fd) = p.out.as_ref() else { return };
        let mut chunk = [0u8; 4096];
        match nix::unistd::read(fd.as_raw_fd(), &mut chunk) {
            Ok(0) => p.out = None,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(p.output.len());
                p.output.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            Err(_) => p.out = None,
        }
    }

    /// Starts a probe when one is due. Returns whether the state changed (a probe that
    /// timed out).
    pub fn tick(
        &mut self,
        cfg: &MonitorConfig,
        now: Instant,
        st: &mut HealthState,
    ) -> Result<bool> {
        if let Some(p) = &self.probe {
            if now >= p.deadline {
                let _ = nix::sys::signal::kill(p.pid, nix::sys::signal::Signal::SIGKILL);
                let secs = self.timeout.as_secs_f64();
                let output = format!("Health check exceeded timeout ({secs}s)");
                self.finish(-1, Some(output), st);
                return Ok(true);
            }
            return Ok(false);
        }
        if now < self.next {
            return Ok(false);
        }
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).what(|| "pipe for a healthcheck")?;
        nix::fcntl::fcntl(
            r.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
        )
        .what(|| "make the healthcheck pipe non-blocking")?;
        let argv = self.argv.clone();
        let pid = super::helper::fork(c"berth:[health]", move || run_probe(cfg, &argv, w))?;
        self.probe = Some(Probe {
            pid,
            out: Some(r),
            output: Vec::new(),
            started: crate::time::now(),
            deadline: now + self.timeout,
        });
        Ok(false)
    }

    /// The probe's helper exited with `code`.
    pub fn probe_exited(&mut self, code: i32, st: &mut HealthState) {
        self.read_output();
        self.finish(code, None, st);
    }

    fn finish(&mut self, code: i32, output: Option<String>, st: &mut HealthState) {
        let Some(p) = self.probe.take() else { return };
        let now = Instant::now();
        self.next = now + self.interval;
        let output = output.unwrap_or_else(|| String::from_utf8_lossy(&p.output).into_owned());
        record(
            st,
            HealthResult {
                start: p.started,
                end: crate::time::now(),
                exit_code: code,
                output,
            },
            self.retries,
            now.duration_since(self.container_started) < self.start_period,
        );
    }

    /// Kills a running probe (the container is gone).
    pub fn stop(&mut self) {
        if let Some(p) = self.probe.take() {
            let _ = nix::sys::signal::kill(p.pid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// Records one result into the state, as moby's handleProbeResult.
pub fn record(st: &mut HealthState, r: HealthResult, retries: u32, in_start_period: bool) {
    if r.exit_code == 0 {
        st.failing_streak = 0;
        st.status = HealthStatus::Healthy;
    } else if !(st.status == HealthStatus::Starting && in_start_period) {
        st.failing_streak += 1;
        if st.failing_streak >= retries {
            st.status = HealthStatus::Unhealthy;
        }
    }
    st.log.push(r);
    if st.log.len() > MAX_LOG {
        let extra = st.log.len() - MAX_LOG;
        st.log.drain(..extra);
    }
}

/// The helper: the test's process in the container, its output on `out`; exits with
/// the test's code.
fn run_probe(cfg: &MonitorConfig, argv: &[String], out: OwnedFd) -> i32 {
    let res = (|| -> std::result::Result<i32, String> {
        for target in [1, 2] {
            nix::unistd::dup2(out.as_raw_fd(), target).map_err(|e| e.to_string())?;
        }
        if let Ok(null) = std::fs::File::open("/dev/null") {
            let _ = nix::unistd::dup2(null.as_raw_fd(), 0);
        }
        let c = runtime::container::load(&cfg.runtime_root, &cfg.id).map_err(|e| e.to_string())?;
        let mut process = c.saved.spec.process().clone().unwrap_or_default();
        drop(c);
        process.set_args(Some(argv.to_vec()));
        process.set_terminal(Some(false));
        process.set_console_size(None);
        let execed = runtime::container::exec(runtime::container::ExecOpts {
            root: &cfg.runtime_root,
            id: &cfg.id,
            process,
            console: None,
            pid_file: None,
            preserve_fds: 0,
        })
        .map_err(|e| e.to_string())?;
        super::helper::wait(execed.pid).map_err(|e| e.to_string())
    })();
    match res {
        Ok(code) => code,
        Err(e) => {
            println!("{e}");
            126
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i32) -> HealthResult {
        HealthResult {
            exit_code: code,
            ..Default::default()
        }
    }

    #[test]
    fn tests_become_argv() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(argv(&s(&["CMD", "true", "x"])), Some(s(&["true", "x"])));
        assert_eq!(
            argv(&s(&["CMD-SHELL", "exit 1"])),
            Some(s(&["/bin/sh", "-c", "exit 1"]))
        );
        assert_eq!(argv(&s(&["NONE"])), None);
        assert_eq!(argv(&[]), None);
    }

    #[test]
    fn streaks_and_start_period() {
        let mut st = HealthState::default();
        record(&mut st, result(1), 2, true);
        assert_eq!((st.status, st.failing_streak), (HealthStatus::Starting, 0));
        record(&mut st, result(1), 2, false);
        assert_eq!(st.status, HealthStatus::Starting);
        record(&mut st, result(1), 2, false);
        assert_eq!((st.status, st.failing_streak), (HealthStatus::Unhealthy, 2));
        record(&mut st, result(0), 2, false);
        assert_eq!((st.status, st.failing_streak), (HealthStatus::Healthy, 0));
        for _ in 0..10 {
            record(&mut st, result(0), 2, false);
        }
        assert_eq!(st.log.len(), 5);
    }
}
