//! `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create, then start attached (or `-d`:
//! print the id). The exit code is the container's; 125 when berth failed, 126/127 when
//! the command could not be executed or found (Docker's).

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use super::container_flags::{CreateFlags, RunOnlyFlags};
use super::create::{create, flag_error, flag_failure};
use super::{run_error, Exit};
use crate::relay::{self, Ended, Relay};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print usage (`-h` is `--hostname`, as in Docker).
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    #[command(flatten)]
    pub flags: CreateFlags,
    #[command(flatten)]
    pub run: RunOnlyFlags,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut parsed = a
        .flags
        .into_request(a.image, a.args)
        .map_err(|e| flag_failure("run", &e))?;
    a.run
        .apply(&mut parsed)
        .map_err(|e| flag_failure("run", &e))?;
    let (detach, sig_proxy) = (parsed.detach, parsed.sig_proxy);
    let keys = parsed
        .detach_keys
        .clone()
        .unwrap_or_else(|| "ctrl-p,ctrl-q".into());
    let detach_keys = relay::parse_detach_keys(&keys).map_err(|e| flag_error("run", e))?;
    let tty = parsed.request.config.tty;
    let stdin = parsed.request.config.open_stdin;
    let auto_remove = parsed.request.host.auto_remove;
    // The attach socket: this end relays, the other is the monitor's first client.
    let (ours, theirs) = if detach {
        (None, None)
    } else {
        let (o, t) = UnixStream::pair().map_err(|e| flag_error("run", e))?;
        (Some(o), Some(OwnedFd::from(t)))
    };
    // The monitor starts now and waits: its exec and start overlap the create on another
    // CPU. Dropped if the create fails (it then exits); if it could not be started, the
    // start below says so, once the container is made.
    let attached = theirs.is_some();
    let monitor = monitor::spawn::prestart(&monitor::find_monitor_exe(), theirs);
    let (mut engine, created) = create(g, parsed, "run")?;
    let mut client = match ours {
        Some(o) => Some(monitor::client::Client::from_stream(o)?),
        None => None,
    };
    if let (true, Some(c)) = (auto_remove, client.as_mut()) {
        // This process has the engine loaded: it removes the container at its exit
        // rather than the monitor starting another `berth` for it (the monitor still
        // does if this process dies first). Queued before the monitor exists.
        c.will_remove()?;
    }
    let started = engine
        .container_start_prestarted(&created.id, monitor, attached)
        .map_err(|e| run_error("run", e))?;
    let Some(mut client) = client else {
        println!("{}", created.id);
        return Ok(());
    };
    let pid = started.state.pid;
    let mut forward = |sig: nix::sys::signal::Signal| {
        if pid > 0 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
        }
    };
    let ended = relay::relay(
        &mut client,
        Relay {
            tty,
            stdin,
            detach_keys,
            on_signal: if sig_proxy && !tty {
                Some(&mut forward)
            } else {
                None
            },
        },
    )?;
    match ended {
        Ended::Exit(code) => {
            // Docker's `run --rm` returns once the container is removed. Should this fail,
            // the monitor sees the connection close without `REMOVED` and tries again.
            if auto_remove && engine.container_cleanup(&created.id).is_ok() {
                let _ = client.removed();
            }
            Err(Exit(exit_byte(code)).into())
        }
        Ended::Detached => Ok(()),
        Ended::Closed => {
            // The monitor went without telling: what does the record say?
            match engine.container(&created.id) {
                Ok(c) => Err(Exit(exit_byte(c.state.exit_code)).into()),
                Err(_) => Err(Exit(125).into()),
            }
        }
    }
}

/// An exit status as the shell sees it (0–255).
pub fn exit_byte(code: i32) -> u8 {
    (code & 0xff) as u8
}
