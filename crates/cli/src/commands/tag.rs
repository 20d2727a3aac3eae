//! `berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`.

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: String,
    pub target: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    g.service()?.tag(&a.source, &a.target).map_err(daemon)
}
