//! `berth save [-o FILE] IMAGE...`: a docker-archive tar, to a file or stdout.

use std::io::IsTerminal;

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to a file, instead of STDOUT.
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let svc = g.service()?;
    match &a.output {
        Some(path) => {
            // Written beside the target and renamed: no half archive under its name.
            let tmp = path.with_extension("berth-save-tmp");
            let f = std::fs::File::create(&tmp).map_err(|e| {
                anyhow::anyhow!("failed to save image: create {}: {e}", tmp.display())
            })?;
            if let Err(e) = svc.save(&a.images, std::io::BufWriter::new(f)) {
                let _ = std::fs::remove_file(&tmp);
                return Err(daemon(e));
            }
            std::fs::rename(&tmp, path)?;
        }
        None => {
            if std::io::stdout().is_terminal() {
                anyhow::bail!(
                    "Cowardly refusing to save to a terminal. Use the -o flag or redirect"
                );
            }
            svc.save(&a.images, std::io::stdout().lock())
                .map_err(daemon)?;
        }
    }
    Ok(())
}
