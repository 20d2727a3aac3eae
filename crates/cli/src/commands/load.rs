//! `berth load [-i FILE] [-q]`: images from a docker-archive tar.

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read from tar archive file, instead of STDIN.
    #[arg(short, long)]
    pub input: Option<std::path::PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut svc = g.service()?;
    let loaded = match &a.input {
        Some(p) => {
            let f =
                std::fs::File::open(p).map_err(|e| anyhow::anyhow!("open {}: {e}", p.display()))?;
            svc.load(f)
        }
        None => svc.load(std::io::stdin().lock()),
    }
    .map_err(daemon)?;
    if !a.quiet {
        for (id, tags) in loaded {
            if tags.is_empty() {
                println!("Loaded image ID: {id}");
            }
            for t in tags {
                println!("Loaded image: {t}");
            }
        }
    }
    Ok(())
}
