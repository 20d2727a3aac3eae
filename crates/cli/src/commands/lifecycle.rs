//! `stop`, `restart`, `kill`, `pause`, `unpause`: each prints the names as given and
//! reports failures one by one (exit 1 if any), as Docker does.

use super::Failed;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container.
    #[arg(
        short = 't',
        long = "time",
        visible_alias = "timeout",
        allow_negative_numbers = true
    )]
    pub time: Option<i64>,
    /// Signal to send to the container.
    #[arg(short, long)]
    pub signal: Option<String>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// Signal to send to the container.
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct NamesArgs {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

fn each(
    g: &Global,
    names: &[String],
    mut f: impl FnMut(&mut engine::Engine, &str) -> engine::Result<()>,
) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(super::daemon)?;
    let mut failed = false;
    for n in names {
        match f(&mut engine, n) {
            Ok(()) => println!("{n}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failed.into());
    }
    Ok(())
}

pub fn stop(g: &Global, a: StopArgs) -> anyhow::Result<()> {
    each(g, &a.containers, |e, n| {
        e.container_stop(n, a.time, a.signal.as_deref()).map(|_| ())
    })
}

pub fn restart(g: &Global, a: StopArgs) -> anyhow::Result<()> {
    each(g, &a.containers, |e, n| {
        e.container_restart(n, a.time, a.signal.as_deref())
            .map(|_| ())
    })
}

pub fn kill(g: &Global, a: KillArgs) -> anyhow::Result<()> {
    each(g, &a.containers, |e, n| {
        e.container_kill(n, Some(&a.signal), false).map(|_| ())
    })
}

pub fn pause(g: &Global, a: NamesArgs) -> anyhow::Result<()> {
    each(g, &a.containers, |e, n| e.container_pause(n).map(|_| ()))
}

pub fn unpause(g: &Global, a: NamesArgs) -> anyhow::Result<()> {
    each(g, &a.containers, |e, n| e.container_unpause(n).map(|_| ()))
}
