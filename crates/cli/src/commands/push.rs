//! `berth push NAME[:TAG]`: plain lines as Docker prints them off a terminal.

use std::io::Write;

use image::{ProgressEvent, Reference};

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    pub name: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let reference = Reference::parse(&a.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = g.registry()?;
    let mut svc = g.service()?;
    let quiet = a.quiet;
    if !quiet {
        println!(
            "The push refers to repository [{}]",
            reference.familiar_name()
        );
    }
    let progress = |e: ProgressEvent| {
        if quiet {
            return;
        }
        let line = match e {
            ProgressEvent::LayerAlreadyExists { id } => format!("{id}: Layer already exists"),
            ProgressEvent::MountedFrom { id, repository } => {
                format!("{id}: Mounted from {repository}")
            }
            ProgressEvent::Pushed { id } => format!("{id}: Pushed"),
            _ => return,
        };
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    };
    let report = svc.push(&client, &a.name, &progress).map_err(daemon)?;
    if quiet {
        println!("{}", reference.familiar());
    } else {
        println!(
            "{}: digest: {} size: {}",
            report.tag.as_deref().unwrap_or("latest"),
            report.digest,
            report.size
        );
    }
    Ok(())
}
