//! `berth pull NAME[:TAG|@DIGEST]`: progress bars on a terminal, plain lines as Docker
//! prints them off one.

use std::io::Write;

use image::{PlatformSpec, ProgressEvent, Reference};

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform to pull when the image is multi-platform (os/arch[/variant]).
    #[arg(long)]
    pub platform: Option<String>,
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    pub name: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let reference = Reference::parse(&a.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let platform = match &a.platform {
        Some(p) => p.parse::<PlatformSpec>()?,
        None => PlatformSpec::default(),
    };
    let client = g.registry()?;
    let mut svc = g.service()?;
    let quiet = a.quiet;
    let completed = std::sync::Mutex::new(Vec::new());
    if !quiet {
        println!(
            "{}: Pulling from {}",
            reference.manifest_reference(),
            reference.path()
        );
    }
    let bars = (!quiet && std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .then(crate::progress::PullBars::new);
    let progress = |e: ProgressEvent| {
        if quiet {
            return;
        }
        if let Some(b) = &bars {
            return b.event(e);
        }
        let line = match e {
            ProgressEvent::Waiting { id } => format!("{id}: Pulling fs layer"),
            ProgressEvent::AlreadyExists { id, .. } => format!("{id}: Already exists"),
            ProgressEvent::Retrying { id, attempt, .. } => {
                format!("{id}: Retrying (attempt {attempt})")
            }
            ProgressEvent::DownloadComplete { id, .. } => {
                if let Ok(mut c) = completed.lock() {
                    c.push(id.clone());
                }
                format!("{id}: Download complete")
            }
            _ => return,
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    };
    let report = svc
        .pull(&client, &reference, &platform, &progress)
        .map_err(daemon)?;
    if let Some(b) = &bars {
        b.finish();
    }
    if !quiet {
        // Layers are unpacked (and their diff ids checked) once all are downloaded.
        if bars.is_none() {
            for id in completed.lock().map(|c| c.clone()).unwrap_or_default() {
                println!("{id}: Pull complete");
            }
        }
        println!("Digest: {}", report.repo_digest);
        if report.updated {
            println!(
                "Status: Downloaded newer image for {}",
                reference.familiar()
            );
        } else {
            println!("Status: Image is up to date for {}", reference.familiar());
        }
    }
    println!("{}", reference.familiar());
    Ok(())
}
