//! `berth attach [--no-stdin] [--sig-proxy] [--detach-keys K] CONTAINER`: joins a running
//! container's stdio through its monitor; exits with the container's code.

use super::run::exit_byte;
use super::{daemon, Exit};
use crate::relay::{self, Ended, Relay};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Override the key sequence for detaching a container.
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Do not attach STDIN.
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub sig_proxy: bool,
    pub container: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let c = engine.container(&a.container).map_err(daemon)?;
    if !matches!(c.state.status.as_str(), "running" | "paused" | "restarting") {
        anyhow::bail!("You cannot attach to a stopped container, start it first");
    }
    if c.state.status == "paused" {
        anyhow::bail!("You cannot attach to a paused container, unpause it first");
    }
    let keys = relay::parse_detach_keys(a.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut client = monitor::client::Client::connect(&g.root.monitor_dir(&c.id))
        .map_err(|e| anyhow::anyhow!("Error response from daemon: attach {}: {e}", c.name))?;
    let stdin = !a.no_stdin && c.config.open_stdin;
    client.hello(monitor::protocol::Hello {
        stdin,
        stdout: true,
        stderr: true,
    })?;
    let pid = c.state.pid;
    let mut forward = |sig: nix::sys::signal::Signal| {
        if pid > 0 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
        }
    };
    let ended = relay::relay(
        &mut client,
        Relay {
            tty: c.config.tty,
            stdin,
            detach_keys: keys,
            on_signal: if a.sig_proxy && !c.config.tty {
                Some(&mut forward)
            } else {
                None
            },
        },
    )?;
    match ended {
        Ended::Exit(code) => Err(Exit(exit_byte(code)).into()),
        Ended::Detached => Ok(()),
        Ended::Closed => {
            let c = engine.container(&c.id).map_err(daemon)?;
            Err(Exit(exit_byte(c.state.exit_code)).into())
        }
    }
}
