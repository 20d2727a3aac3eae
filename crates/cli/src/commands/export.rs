//! `berth export [-o FILE] CONTAINER`: the container's filesystem as a tar.

use std::io::{IsTerminal, Write};

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to a file, instead of STDOUT.
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    pub container: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    match &a.output {
        Some(path) => {
            // Written beside the target and renamed: no half archive under its name.
            let tmp = path.with_extension("berth-export-tmp");
            let f = std::fs::File::create(&tmp).map_err(|e| {
                anyhow::anyhow!("failed to export container: create {}: {e}", tmp.display())
            })?;
            let mut w = std::io::BufWriter::new(f);
            let r = engine
                .container_export(&a.container, &mut w)
                .map_err(daemon)
                .and_then(|()| w.flush().map_err(anyhow::Error::from));
            if let Err(e) = r {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, path)?;
        }
        None => {
            if std::io::stdout().is_terminal() {
                anyhow::bail!(
                    "cowardly refusing to save to a terminal. Use the -o flag or redirect"
                );
            }
            let mut out = std::io::BufWriter::new(std::io::stdout());
            engine
                .container_export(&a.container, &mut out)
                .map_err(daemon)?;
            out.flush()?;
        }
    }
    Ok(())
}
