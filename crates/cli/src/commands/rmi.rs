//! `berth rmi [-f] IMAGE...`: each failure reported, the others still removed, exit 1.

use super::{daemon, print_remove_lines, Failed};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Force removal of the image (untag every name of an image given by id).
    #[arg(short, long)]
    pub force: bool,
    /// Do not delete untagged parents (accepted for compatibility).
    #[arg(long)]
    pub no_prune: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut svc = g.service()?;
    let mut failed = false;
    for name in &a.images {
        match svc.remove(name, a.force) {
            Ok(lines) => print_remove_lines(&lines, false),
            Err(e) => {
                // Docker's rmi reports even a bad name as the daemon's answer.
                let msg = match e {
                    engine::EngineError::Reference(r) => format!("Error response from daemon: {r}"),
                    e => format!("{}", daemon(e)),
                };
                eprintln!("{msg}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failed.into());
    }
    Ok(())
}
