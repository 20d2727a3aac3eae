//! `berth diff CONTAINER`: `A /path`, `C /path`, `D /path`, sorted by path.

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub container: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    for c in engine.container_changes(&a.container).map_err(daemon)? {
        println!("{c}");
    }
    Ok(())
}
