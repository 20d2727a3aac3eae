//! `berth rename CONTAINER NEW_NAME`.

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub container: String,
    pub new_name: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    engine
        .container_rename(&a.container, &a.new_name)
        .map_err(daemon)
}
