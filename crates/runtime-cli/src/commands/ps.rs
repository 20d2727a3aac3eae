//! `ps`: ps(1) output filtered to the container's processes, or their pids as JSON.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use runtime::container;

pub fn ps(root: &Path, id: &str, format: &str, ps_args: &[String]) -> Result<i32> {
    let c = container::load(root, id)?;
    let pids = container::pids(&c)?;
    match format {
        "json" => {
            println!("{}", serde_json::to_string(&pids)?);
            return Ok(0);
        }
        "table" => {}
        other => bail!("invalid format {other:?}: table or json"),
    }
    let args: Vec<String> = if ps_args.is_empty() {
        vec!["-ef".to_string()]
    } else {
        ps_args.to_vec()
    };
    let out = Command::new("ps").args(&args).output().context("run ps")?;
    if !out.status.success() {
        bail!(
            "ps {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let pid_col = header
        .split_whitespace()
        .position(|h| h == "PID")
        .context("ps output has no PID column")?;
    println!("{header}");
    for line in lines {
        let pid: Option<i32> = line
            .split_whitespace()
            .nth(pid_col)
            .and_then(|p| p.parse().ok());
        if pid.is_some_and(|p| pids.contains(&p)) {
            println!("{line}");
        }
    }
    Ok(0)
}
