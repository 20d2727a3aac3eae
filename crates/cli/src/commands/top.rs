//! `berth top CONTAINER [ps OPTIONS]`: the host's `ps` over the container's processes,
//! as Docker does (default options `-ef`).

use std::process::Command;

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub container: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_args: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let pids = engine.container_pids(&a.container).map_err(daemon)?;
    let args = if a.ps_args.is_empty() {
        vec!["-ef".to_string()]
    } else {
        a.ps_args
    };
    let out = Command::new("ps")
        .args(&args)
        .output()
        .map_err(|e| anyhow::anyhow!("Error response from daemon: run ps: {e}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "Error response from daemon: ps: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let pid_col = header
        .split_whitespace()
        .position(|h| h == "PID")
        .ok_or_else(|| {
            anyhow::anyhow!("Error response from daemon: Couldn't find PID field in ps output")
        })?;
    let mut rows = vec![header
        .split_whitespace()
        .map(str::to_string)
        .collect::<Vec<_>>()];
    let ncols = rows[0].len();
    for l in lines {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let Some(pid) = fields.get(pid_col).and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if pids.contains(&pid) {
            // The last column (the command) keeps its spaces.
            let mut row: Vec<String> = fields[..ncols.saturating_sub(1).min(fields.len())]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if fields.len() >= ncols {
                row.push(fields[ncols - 1..].join(" "));
            }
            rows.push(row);
        }
    }
    print!("{}", crate::format::table(&rows));
    Ok(())
}
