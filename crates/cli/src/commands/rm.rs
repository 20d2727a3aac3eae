//! `berth rm [-f] [-v] CONTAINER...`.

use super::Failed;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Force the removal of a running container (uses SIGKILL).
    #[arg(short, long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container.
    #[arg(short, long)]
    pub volumes: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(super::daemon)?;
    let mut failed = false;
    for n in &a.containers {
        match engine.container_remove(n, a.force, a.volumes) {
            Ok(_) => println!("{n}"),
            Err(engine::EngineError::NoSuchContainer(_)) if a.force => {}
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
