//! `berth image prune [-a] [-f]`.

use super::{confirm, daemon, print_remove_lines};
use crate::format::human_size;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Remove all unused images, not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let warning = if a.all {
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        "WARNING! This will remove all dangling images."
    };
    if !confirm(warning, a.force)? {
        return Ok(());
    }
    let report = g.service()?.prune(a.all).map_err(daemon)?;
    if !report.lines.is_empty() {
        println!("Deleted Images:");
        print_remove_lines(&report.lines, true);
        println!();
    }
    println!("Total reclaimed space: {}", human_size(report.reclaimed));
    Ok(())
}
