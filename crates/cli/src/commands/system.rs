//! `berth system df`: disk usage, in Docker's table (containers, volumes and build cache
//! arrive with their own issues and show as empty).

use super::daemon;
use crate::format::{human_size, table};
use crate::Global;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Show berth disk usage.
    Df,
    /// Get real time events from the server.
    Events(super::events::Args),
}

pub fn run(g: &Global, cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Events(a) => return super::events::run(g, a),
        Cmd::Df => {
            let (count, bytes) = g.service()?.disk_usage().map_err(daemon)?;
            // No containers yet: every image is unused, all of it reclaimable.
            let pct = if bytes > 0 { " (100%)" } else { "" };
            let row = |t: &str, n: usize, size: u64, rec: String| {
                vec![
                    t.to_string(),
                    n.to_string(),
                    "0".into(),
                    human_size(size),
                    rec,
                ]
            };
            let rows = vec![
                ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
                    .map(String::from)
                    .to_vec(),
                row(
                    "Images",
                    count,
                    bytes,
                    format!("{}{pct}", human_size(bytes)),
                ),
                row("Containers", 0, 0, "0B".into()),
                row("Local Volumes", 0, 0, "0B".into()),
                row("Build Cache", 0, 0, "0B".into()),
            ];
            print!("{}", table(&rows));
        }
    }
    Ok(())
}
