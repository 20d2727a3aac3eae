//! `state` and `list`.

use std::path::Path;

use anyhow::Result;
use runtime::container;

pub fn state(root: &Path, id: &str) -> Result<i32> {
    let c = container::load(root, id)?;
    println!("{}", container::state_json(&c)?);
    Ok(0)
}

pub fn list(root: &Path, format: &str, quiet: bool) -> Result<i32> {
    let all = container::list(root)?;
    if quiet {
        for c in &all {
            println!("{}", c.saved.id);
        }
        return Ok(0);
    }
    if format == "json" {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|c| {
                serde_json::json!({
                    "ociVersion": c.saved.spec.version(),
                    "id": c.saved.id,
                    "pid": if c.status == runtime::state::Status::Stopped { 0 } else { c.saved.pid },
                    "status": c.status,
                    "bundle": c.saved.bundle,
                    "rootfs": c.saved.rootfs,
                    "created": c.saved.created,
                    "annotations": c.saved.annotations,
                    "owner": c.saved.owner,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(0);
    }
    println!(
        "{:<12} {:<10} {:<10} {:<40} {:<30} OWNER",
        "ID", "PID", "STATUS", "BUNDLE", "CREATED"
    );
    for c in &all {
        let pid = if c.status == runtime::state::Status::Stopped {
            0
        } else {
            c.saved.pid
        };
        println!(
            "{:<12} {:<10} {:<10} {:<40} {:<30} {}",
            c.saved.id,
            pid,
            c.status,
            c.saved.bundle.display(),
            c.saved.created,
            if c.saved.owner.is_empty() {
                "root"
            } else {
                &c.saved.owner
            }
        );
    }
    Ok(0)
}
