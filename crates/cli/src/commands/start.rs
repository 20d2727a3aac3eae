//! `berth start [-a] [-i] CONTAINER...`: prints each name as given; `-a` attaches to the
//! (single) container and exits with its code.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use super::run::exit_byte;
use super::{daemon, Exit, Failed};
use crate::relay::{self, Ended, Relay};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Attach STDOUT/STDERR and forward signals.
    #[arg(short, long)]
    pub attach: bool,
    /// Attach container's STDIN.
    #[arg(short, long)]
    pub interactive: bool,
    /// Override the key sequence for detaching a container.
    #[arg(long)]
    pub detach_keys: Option<String>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    if a.attach || a.interactive {
        if a.containers.len() > 1 {
            anyhow::bail!("you cannot start and attach multiple containers at once");
        }
        let name = &a.containers[0];
        let c = engine.container(name).map_err(daemon)?;
        let keys = relay::parse_detach_keys(a.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))
            .map_err(|e| anyhow::anyhow!(e))?;
        let (ours, theirs) = UnixStream::pair()?;
        let started = engine
            .container_start(&c.id, Some(OwnedFd::from(theirs)))
            .map_err(daemon)?;
        let pid = started.state.pid;
        let mut forward = |sig: nix::sys::signal::Signal| {
            if pid > 0 {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
            }
        };
        let ended = relay::relay(
            &mut monitor::client::Client::from_stream(ours)?,
            Relay {
                tty: c.config.tty,
                stdin: a.interactive && c.config.open_stdin,
                detach_keys: keys,
                on_signal: if c.config.tty {
                    None
                } else {
                    Some(&mut forward)
                },
            },
        )?;
        return match ended {
            Ended::Exit(code) => Err(Exit(exit_byte(code)).into()),
            _ => Ok(()),
        };
    }
    let mut failed = false;
    for name in &a.containers {
        match engine.container_start(name, None) {
            Ok(_) => println!("{name}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed = true;
            }
        }
    }
    if failed {
        eprintln!(
            "Error: failed to start containers: {}",
            a.containers.join(", ")
        );
        return Err(Failed.into());
    }
    Ok(())
}
