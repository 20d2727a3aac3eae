//! The monitor's one loop: poll(2) on a signalfd (SIGCHLD), the attach listener and
//! clients, the container's stdio, a running healthcheck and the embedded DNS server's
//! sockets; timers for the restart back-off, the next healthcheck and forwarded DNS
//! queries. No threads, no async runtime.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

use super::clients::{self, Conn, Request};
use super::dns::{self, Dns};
use super::health::Checker;
use super::launch::{self, Launched, Stdio};
use super::logger::{JsonLog, Stream};
use super::policy::{self, Backoff};
use crate::config::{DnsOpts, MonitorConfig};
use crate::error::{Context, Result};
use crate::protocol;
use crate::spawn::Report;
use crate::state::{self, HealthState, HealthStatus, MonitorState, Status};

/// How long a client that removes the container itself (`REMOVE`) may take before the
/// monitor runs `on_exit` anyway: a large writable layer takes a while to delete.
const REMOVAL_WAIT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy)]
enum Token {
    Signal,
    Listener,
    Out,
    Err,
    In,
    Health,
    Client(usize),
    Dns(dns::Source),
}

pub struct Monitor {
    cfg: MonitorConfig,
    st: MonitorState,
    sigfd: SignalFd,
    listener: Option<UnixListener>,
    clients: Vec<Conn>,
    stdio: Stdio,
    stdin_pending: Vec<u8>,
    stdin_close: bool,
    stdin_once_done: bool,
    log: Option<JsonLog>,
    /// The container's first process and when it started.
    container: Option<(Pid, Instant)>,
    restart_at: Option<Instant>,
    backoff: Backoff,
    health: Option<Checker>,
    /// The embedded DNS server: bound once, kept across restarts (same namespace).
    dns: Option<Dns>,
    done: bool,
}

/// The embedded DNS server for `o`, or why it cannot run.
fn start_dns(o: &DnsOpts) -> std::result::Result<Dns, String> {
    Dns::start(o).map_err(|e| format!("serve DNS at {} in {}: {e}", dns::ADDR, o.netns.display()))
}

impl Monitor {
    pub fn new(cfg: MonitorConfig, attach: Option<OwnedFd>) -> Result<Monitor> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGCHLD);
        mask.thread_block().what(|| "block SIGCHLD")?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .what(|| "signalfd for SIGCHLD")?;
        let sock = crate::client::socket_path(&cfg.run_dir);
        let _ = std::fs::remove_file(&sock);
        let listener = crate::client::with_socket_path(&cfg.run_dir, |p| UnixListener::bind(p))
            .what(|| format!("bind the attach socket {}", sock.display()))?;
        listener
            .set_nonblocking(true)
            .what(|| "make the attach socket non-blocking")?;
        let mut clients = Vec::new();
        if let Some(fd) = attach {
            clients
                .push(Conn::new(UnixStream::from(fd)).what(|| "set up the first attach client")?);
        }
        let log = match &cfg.log {
            Some(o) => Some(
                JsonLog::open(o.clone()).what(|| format!("open the log {}", o.path.display()))?,
            ),
            None => None,
        };
        // DNS is a service to the container, not a condition of its start: a failure
        // is noted and the container runs without it.
        let dns = cfg.dns.as_ref().and_then(|o| {
            start_dns(o)
                .map_err(|e| eprintln!("berth-monitor: {e}"))
                .ok()
        });
        let st = MonitorState {
            monitor_pid: std::process::id() as i32,
            ..Default::default()
        };
        let m = Monitor {
            cfg,
            st,
            sigfd,
            listener: Some(listener),
            clients,
            stdio: Stdio::default(),
            stdin_pending: Vec::new(),
            stdin_close: false,
            stdin_once_done: false,
            log,
            container: None,
            restart_at: None,
            backoff: Backoff::default(),
            health: None,
            dns,
            done: false,
        };
        // No state.json yet: the first start writes it, running or failed (a write makes
        // a file and replaces one). Until then the engine goes by its own record, as it
        // does before the monitor exists.
        Ok(m)
    }

    fn save(&self) {
        if let Err(e) = state::write(&self.cfg.run_dir, &self.st) {
            eprintln!(
                "berth-monitor: write {}: {e}",
                state::path_in(&self.cfg.run_dir).display()
            );
        }
    }

    /// Appends a container event to the journal (if the engine gave one); a failure is
    /// noted in the monitor's log and otherwise ignored: events never stop a container.
    fn event(&self, action: &str, extra: &[(&str, String)]) {
        let Some(journal) = &self.cfg.events else {
            return;
        };
        let mut attrs = self.cfg.event_attributes.clone();
        for (k, v) in extra {
            attrs.insert((*k).to_string(), v.clone());
        }
        let ev = crate::events::Event::new("container", action, &self.cfg.id, attrs);
        if let Err(e) = crate::events::append(journal, &ev) {
            eprintln!("berth-monitor: append to {}: {e}", journal.display());
        }
    }

    /// A `health_status: …` event when the status changed from `before`.
    fn health_event(&self, before: Option<HealthStatus>) {
        let now = self.st.health.as_ref().map(|h| h.status);
        if let Some(now) = now.filter(|n| Some(*n) != before) {
            self.event(&format!("health_status: {}", now.as_str()), &[]);
        }
    }

    fn broadcast(&mut self, kind: u8, payload: &[u8]) {
        for c in &mut self.clients {
            if clients::wanted(&c.want, kind) {
                c.send(kind, payload);
            }
        }
    }

    /// Creates and starts the container. On failure the state records the error and
    /// the exit code Docker gives it (127, 126, 125).
    fn start(&mut self) -> Result<Report> {
        self.stdin_pending.clear();
        self.stdin_close = false;
        match launch::launch(&self.cfg)? {
            Launched::Running { pid, stdio } => {
                let now = Instant::now();
                self.stdio = stdio;
                self.container = Some((Pid::from_raw(pid), now));
                self.st.status = Status::Running;
                self.st.pid = pid;
                self.st.started_at = crate::time::now();
                self.st.error.clear();
                self.health = self.cfg.health.as_ref().and_then(|h| Checker::new(h, now));
                if self.health.is_some() {
                    self.st.health = Some(HealthState::default());
                }
                self.save();
                self.broadcast(protocol::STARTED, pid.to_string().as_bytes());
                Ok(Report::Started {
                    monitor_pid: self.st.monitor_pid,
                    pid,
                })
            }
            Launched::Failed { message, kind } => {
                // The runtime undoes a failed create itself; this catches the rest.
                launch::delete(&self.cfg)?;
                self.st.error = message.clone();
                self.st.exit_code = kind.exit_code();
                self.st.pid = 0;
                Ok(Report::Failed { message, kind })
            }
        }
    }

    /// The first start, reported on the sync pipe; a failure ends the monitor (after
    /// cleanup and `on_exit`) before the report is written.
    pub fn start_first(&mut self) -> Result<Report> {
        let report = self.start()?;
        if matches!(report, Report::Failed { .. }) {
            // The spawner waits for this report: it cannot be the one that removes.
            self.finish_with(false)?;
        }
        Ok(report)
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Runs until the container is gone for good; returns its exit code.
    pub fn run(&mut self) -> Result<i32> {
        while !self.done {
            self.poll_once()?;
        }
        Ok(self.st.exit_code)
    }

    fn poll_once(&mut self) -> Result<()> {
        let now = Instant::now();
        let wake = [
            self.restart_at,
            self.health.as_ref().map(Checker::wake_at),
            self.dns.as_ref().and_then(Dns::wake_at),
        ]
        .into_iter()
        .flatten()
        .min();
        let timeout = match wake {
            None => PollTimeout::NONE,
            Some(w) => {
                let ms = w.saturating_duration_since(now).as_millis() + 1;
                PollTimeout::try_from(ms.min(60_000) as i32).unwrap_or(PollTimeout::MAX)
            }
        };
        let ready = {
            let mut tokens = Vec::with_capacity(8 + self.clients.len());
            let mut fds = Vec::with_capacity(8 + self.clients.len());
            let inp = PollFlags::POLLIN;
            fds.push(PollFd::new(self.sigfd.as_fd(), inp));
            tokens.push(Token::Signal);
            if let Some(l) = &self.listener {
                fds.push(PollFd::new(l.as_fd(), inp));
                tokens.push(Token::Listener);
            }
            for (fd, t) in [(&self.stdio.out, Token::Out), (&self.stdio.err, Token::Err)] {
                if let Some(fd) = fd {
                    fds.push(PollFd::new(fd.as_fd(), inp));
                    tokens.push(t);
                }
            }
            if let Some(fd) = &self.stdio.input {
                if !self.stdin_pending.is_empty() {
                    fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLOUT));
                    tokens.push(Token::In);
                }
            }
            if let Some(fd) = self.health.as_ref().and_then(Checker::output_fd) {
                fds.push(PollFd::new(fd, inp));
                tokens.push(Token::Health);
            }
            for (i, c) in self.clients.iter().enumerate() {
                let mut ev = inp;
                if c.wants_write() {
                    ev |= PollFlags::POLLOUT;
                }
                fds.push(PollFd::new(c.stream.as_fd(), ev));
                tokens.push(Token::Client(i));
            }
            if let Some(d) = &self.dns {
                for (fd, src, write) in d.fds() {
                    let ev = if write { PollFlags::POLLOUT } else { inp };
                    fds.push(PollFd::new(fd, ev));
                    tokens.push(Token::Dns(src));
                }
            }
            match nix::poll::poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e).what(|| "poll"),
            }
            tokens
                .into_iter()
                .zip(
                    fds.iter()
                        .map(|f| f.revents().unwrap_or(PollFlags::empty())),
                )
                .filter(|(_, r)| !r.is_empty())
                .collect::<Vec<_>>()
        };
        let mut reap = false;
        for (token, revents) in ready {
            match token {
                Token::Signal => reap = true,
                Token::Listener => self.accept(),
                Token::Out => {
                    self.pump(Stream::Stdout);
                }
                Token::Err => {
                    self.pump(Stream::Stderr);
                }
                Token::In => self.feed_stdin(),
                Token::Health => {
                    if let Some(h) = &mut self.health {
                        h.read_output();
                    }
                }
                Token::Client(i) => self.serve_client(i, revents),
                Token::Dns(src) => {
                    if let Some(d) = &mut self.dns {
                        d.ready(src);
                    }
                }
            }
        }
        if let Some(d) = &mut self.dns {
            d.tick();
        }
        self.drop_dead_clients();
        if reap {
            self.reap()?;
        }
        if self.restart_at.is_some_and(|t| Instant::now() >= t) {
            self.restart()?;
        }
        self.tick_health()?;
        Ok(())
    }

    fn accept(&mut self) {
        let Some(l) = &self.listener else { return };
        while let Ok((s, _)) = l.accept() {
            match Conn::new(s) {
                Ok(c) => self.clients.push(c),
                Err(e) => eprintln!("berth-monitor: accept an attach client: {e}"),
            }
        }
    }

    fn serve_client(&mut self, i: usize, revents: PollFlags) {
        let Some(c) = self.clients.get_mut(i) else {
            return;
        };
        if revents.contains(PollFlags::POLLOUT) {
            c.flush();
        }
        if !revents.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            return;
        }
        for req in c.read() {
            match req {
                Request::ServeDns(opts) => {
                    let answer = opts
                        .and_then(|o| self.serve_dns(&o))
                        .err()
                        .unwrap_or_default();
                    if let Some(c) = self.clients.get_mut(i) {
                        c.send(protocol::DNS, answer.as_bytes());
                    }
                }
                Request::Stdin(data) => {
                    if self.stdio.input.is_some() && !self.stdin_close {
                        self.stdin_pending.extend_from_slice(&data);
                    }
                }
                Request::CloseStdin => self.stdin_close = true,
                Request::Resize(rows, cols) => {
                    if let (true, Some(m)) = (self.cfg.tty, &self.stdio.out) {
                        let _ = crate::sys::set_winsize(m.as_fd(), rows, cols);
                    }
                }
            }
        }
        self.feed_stdin();
    }

    /// Starts the embedded DNS server of a container that runs without one (it was on no
    /// user-defined network when it started); one already running is kept as it is: it
    /// re-reads its records file, which the engine rewrites.
    fn serve_dns(&mut self, opts: &DnsOpts) -> std::result::Result<(), String> {
        if self.dns.is_none() {
            self.dns = Some(start_dns(opts)?);
        }
        Ok(())
    }

    fn drop_dead_clients(&mut self) {
        let before = self.clients.len();
        let stdin_left = self.clients.iter().any(|c| c.dead && c.want.stdin);
        self.clients.retain(|c| !c.dead);
        if before != self.clients.len()
            && stdin_left
            && self.cfg.stdin_once
            && !self.stdin_once_done
        {
            self.stdin_once_done = true;
            self.stdin_close = true;
            self.feed_stdin();
        }
    }

    /// Writes pending stdin to the container; closes its stdin once asked and drained.
    fn feed_stdin(&mut self) {
        let Some(fd) = &self.stdio.input else {
            self.stdin_pending.clear();
            return;
        };
        while !self.stdin_pending.is_empty() {
            match nix::unistd::write(fd, &self.stdin_pending) {
                Ok(n) => {
                    self.stdin_pending.drain(..n);
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => return,
                Err(_) => {
                    self.stdin_pending.clear();
                    self.stdio.input = None;
                    return;
                }
            }
        }
        // A pty cannot be half-closed: closing stdin only applies to the pipe.
        if self.stdin_close && !self.cfg.tty {
            self.stdio.input = None;
        }
    }

    /// Copies one read of the container's output to the log and the clients. Returns
    /// false when nothing more is there now.
    fn pump(&mut self, stream: Stream) -> bool {
        let slot = match stream {
            Stream::Stdout => &mut self.stdio.out,
            Stream::Stderr => &mut self.stdio.err,
        };
        let Some(fd) = slot else { return false };
        let mut buf = [0u8; 8192];
        let n = match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(0) | Err(Errno::EIO) => {
                // EOF (EIO on a pty master whose slave is closed).
                *slot = None;
                return false;
            }
            Ok(n) => n,
            Err(Errno::EAGAIN) => return false,
            Err(Errno::EINTR) => return true,
            Err(e) => {
                eprintln!("berth-monitor: read the container's {stream:?}: {e}");
                *slot = None;
                return false;
            }
        };
        let data = &buf[..n];
        if let Some(log) = &mut self.log {
            if let Err(e) = log.write(stream, data, &crate::time::now()) {
                eprintln!("berth-monitor: write the log: {e}");
            }
        }
        let kind = match stream {
            Stream::Stderr => protocol::STDERR,
            Stream::Stdout => protocol::STDOUT,
        };
        self.broadcast(kind, data);
        true
    }

    fn reap(&mut self) -> Result<()> {
        while let Ok(Some(_)) = self.sigfd.read_signal() {}
        loop {
            let ws = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(ws) => ws,
                Err(Errno::EINTR) => continue,
                Err(_) => break,
            };
            let Some((pid, code)) = super::helper::exit_code(ws) else {
                if ws == nix::sys::wait::WaitStatus::StillAlive {
                    break;
                }
                continue;
            };
            if self.container.is_some_and(|(p, _)| p == pid) {
                self.container_exited(code)?;
            } else if let Some(h) = &mut self.health {
                if h.probe_pid() == Some(pid) {
                    let mut hs = self.st.health.take().unwrap_or_default();
                    let before = hs.status;
                    h.probe_exited(code, &mut hs);
                    self.st.health = Some(hs);
                    self.save();
                    self.health_event(Some(before));
                }
            }
        }
        Ok(())
    }

    fn tick_health(&mut self) -> Result<()> {
        if self.container.is_none() {
            return Ok(());
        }
        let Some(h) = &mut self.health else {
            return Ok(());
        };
        let mut hs = self.st.health.take().unwrap_or_default();
        let before = hs.status;
        let changed = h.tick(&self.cfg, Instant::now(), &mut hs);
        self.st.health = Some(hs);
        if changed? {
            self.save();
            self.health_event(Some(before));
        }
        Ok(())
    }

    fn container_exited(&mut self, code: i32) -> Result<()> {
        let ran = self
            .container
            .take()
            .map_or(Duration::ZERO, |(_, since)| since.elapsed());
        // What the container wrote before it died is still in the pipes.
        while self.pump(Stream::Stdout) {}
        while self.pump(Stream::Stderr) {}
        if let Some(log) = &mut self.log {
            let _ = log.flush(&crate::time::now());
        }
        self.stdio = Stdio::default();
        if let Some(h) = &mut self.health {
            h.stop();
        }
        self.health = None;
        self.st.exit_code = code;
        self.st.finished_at = crate::time::now();
        self.st.pid = 0;
        // Docker's State.OOMKilled and `oom` event.
        self.st.oom_killed = launch::delete(&self.cfg)?;
        if self.st.oom_killed {
            self.event("oom", &[]);
        }
        self.event("die", &[("exitCode", code.to_string())]);
        // `berth update --restart` while running: the new policy holds from this exit on.
        if let Some(r) = crate::config::Restart::read_override(&self.cfg.run_dir) {
            self.cfg.restart = r;
        }
        let stopping = self.cfg.run_dir.join("stopping").exists();
        if policy::should_restart(&self.cfg.restart, code, self.st.restart_count, stopping) {
            let delay = self.backoff.next(ran);
            self.st.status = Status::Restarting;
            self.save();
            self.broadcast(protocol::EXIT, code.to_string().as_bytes());
            self.restart_at = Some(Instant::now() + delay);
            return Ok(());
        }
        self.finish()
    }

    fn restart(&mut self) -> Result<()> {
        self.restart_at = None;
        if self.cfg.run_dir.join("stopping").exists() {
            return self.finish();
        }
        self.st.restart_count += 1;
        if let Report::Failed { .. } = self.start()? {
            return self.finish();
        }
        self.event("start", &[]);
        Ok(())
    }

    /// The client that said it removes the container, after reading what the clients
    /// sent since the last poll (`run --rm` sends `REMOVE` before the monitor starts).
    fn remover(&mut self) -> Option<usize> {
        for c in &mut self.clients {
            // The container is gone: stdin for it has nowhere to go.
            let _ = c.read();
        }
        self.clients.iter().position(|c| c.removes && !c.dead)
    }

    /// The container is gone for good: final state, `on_exit`, the Exit frame to every
    /// client (those still waiting to be accepted too), and the socket removed.
    fn finish(&mut self) -> Result<()> {
        self.finish_with(true)
    }

    /// [`Self::finish`]; `hand_over`: whether a client that sent `REMOVE` may do the
    /// removal instead of `on_exit`.
    fn finish_with(&mut self, hand_over: bool) -> Result<()> {
        self.st.status = Status::Exited;
        self.st.pid = 0;
        if self.st.finished_at.is_empty() {
            self.st.finished_at = crate::time::now();
        }
        self.save();
        // A client that removes the container itself (the foreground `run --rm`) gets the
        // Exit frame first; `on_exit` runs only if it goes away without doing it.
        let remover = if self.cfg.on_exit.is_empty() || !hand_over {
            None
        } else {
            self.remover()
        };
        if remover.is_none() && !self.cfg.on_exit.is_empty() {
            super::on_exit::run(&self.cfg.on_exit);
        }
        self.accept();
        self.listener = None;
        let _ = std::fs::remove_file(crate::client::socket_path(&self.cfg.run_dir));
        self.broadcast(protocol::EXIT, self.st.exit_code.to_string().as_bytes());
        for c in &mut self.clients {
            c.flush_blocking();
        }
        if let Some(i) = remover {
            let removed = self
                .clients
                .get_mut(i)
                .is_some_and(|c| c.wait_removed(REMOVAL_WAIT));
            if !removed {
                super::on_exit::run(&self.cfg.on_exit);
            }
        }
        self.clients.clear();
        self.done = true;
        Ok(())
    }
}
