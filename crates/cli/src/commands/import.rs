//! `berth import [-c CHANGE]... [-m MSG] file|- [REPOSITORY[:TAG]]`: prints the new id.

use std::fs::File;

use engine::ImportOptions;

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Apply a Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, ...).
    #[arg(short, long = "change")]
    pub change: Vec<String>,
    /// Set a commit message for the imported image.
    #[arg(short, long)]
    pub message: Option<String>,
    /// A rootfs tarball (plain, gzip or zstd), or '-' for standard input.
    pub file: String,
    pub reference: Option<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let opts = ImportOptions {
        reference: a.reference.clone(),
        changes: a.change.clone(),
        message: a.message.clone(),
        source_name: a.file.clone(),
    };
    if let Some(r) = &a.reference {
        image::Reference::parse(r).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut svc = g.service()?;
    let id = if a.file == "-" {
        svc.import(std::io::stdin().lock(), &opts)
    } else {
        let f = File::open(&a.file).map_err(|e| anyhow::anyhow!("open {}: {e}", a.file))?;
        svc.import(f, &opts)
    }
    .map_err(daemon)?;
    println!("{id}");
    Ok(())
}
