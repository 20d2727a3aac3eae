//! `berth system df | prune | check`.

use super::{confirm, daemon, print_remove_lines};
use crate::format::{human_size, table};
use crate::Global;

#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum Cmd {
    /// Show berth disk usage.
    Df,
    /// Get real time events from the server.
    Events(super::events::Args),
    /// Remove unused data.
    Prune(PruneArgs),
    /// Check berth's state for what interrupted operations left, and repair it.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Remove all unused images not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Prune anonymous volumes.
    #[arg(long)]
    pub volumes: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Only report what is wrong; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(g: &Global, cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Events(a) => super::events::run(g, a),
        Cmd::Df => df(g),
        Cmd::Prune(a) => prune(g, a),
        Cmd::Check(a) => check(g, a),
    }
}

fn df(g: &Global) -> anyhow::Result<()> {
    let du = g.engine().map_err(daemon)?.disk_usage().map_err(daemon)?;
    let row = |t: &str, u: engine::usage::Usage| {
        let pct = (u.reclaimable * 100)
            .checked_div(u.size)
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default();
        vec![
            t.to_string(),
            u.total.to_string(),
            u.active.to_string(),
            human_size(u.size),
            format!("{}{pct}", human_size(u.reclaimable)),
        ]
    };
    let rows = vec![
        ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
            .map(String::from)
            .to_vec(),
        row("Images", du.images),
        row("Containers", du.containers),
        row("Local Volumes", du.volumes),
        row("Build Cache", engine::usage::Usage::default()),
    ];
    print!("{}", table(&rows));
    Ok(())
}

fn prune(g: &Global, a: PruneArgs) -> anyhow::Result<()> {
    let mut warning = String::from("WARNING! This will remove:\n  - all stopped containers\n");
    if a.volumes {
        warning.push_str("  - all anonymous volumes not used by at least one container\n");
    }
    warning.push_str(if a.all {
        "  - all images without at least one container associated to them\n"
    } else {
        "  - all dangling images\n"
    });
    warning.push_str("  - unused build cache\n");
    if !confirm(&warning, a.force)? {
        return Ok(());
    }
    let mut engine = g.engine().map_err(daemon)?;
    let mut reclaimed = 0;
    let (containers, bytes) = engine.container_prune().map_err(daemon)?;
    reclaimed += bytes;
    if !containers.is_empty() {
        println!("Deleted Containers:");
        for id in &containers {
            println!("{id}");
        }
        println!();
    }
    if a.volumes {
        let (volumes, bytes) = engine.volume_prune(false).map_err(daemon)?;
        reclaimed += bytes;
        if !volumes.is_empty() {
            println!("Deleted Volumes:");
            for n in &volumes {
                println!("{n}");
            }
            println!();
        }
    }
    let report = engine.images_mut().prune(a.all).map_err(daemon)?;
    reclaimed += report.reclaimed;
    if !report.lines.is_empty() {
        println!("Deleted Images:");
        print_remove_lines(&report.lines, true);
        println!();
    }
    println!("Total reclaimed space: {}", human_size(reclaimed));
    Ok(())
}

fn check(g: &Global, a: CheckArgs) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let report = engine.system_check(!a.dry_run).map_err(daemon)?;
    for line in &report.repaired {
        println!("repaired: {line}");
    }
    for line in &report.unrepaired {
        let tag = if a.dry_run { "found" } else { "NOT repaired" };
        println!("{tag}: {line}");
    }
    if report.is_clean() {
        println!("No problems found");
        return Ok(());
    }
    if !report.unrepaired.is_empty() {
        if a.dry_run {
            println!(
                "{} problem(s) found; run 'berth system check' to repair them",
                report.unrepaired.len()
            );
        }
        return Err(super::Failed.into());
    }
    println!("{} problem(s) repaired", report.repaired.len());
    Ok(())
}
