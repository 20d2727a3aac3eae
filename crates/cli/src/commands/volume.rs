//! `berth volume create|ls|inspect|rm|prune`.

use std::collections::BTreeMap;

use super::{daemon, Failed};
use crate::format::{format_row, human_size, parse_format, pre_format, row_of, table};
use crate::Global;

#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum Cmd {
    /// Create a volume.
    Create(CreateArgs),
    /// List volumes.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more volumes.
    Inspect(InspectArgs),
    /// Remove one or more volumes.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove unused local volumes.
    Prune(PruneArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Specify volume driver name.
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Set metadata for a volume.
    #[arg(long)]
    pub label: Vec<String>,
    /// Set driver specific options.
    #[arg(short, long)]
    pub opt: Vec<String>,
    #[arg(long = "name", hide = true)]
    pub name_flag: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Only display volume names.
    #[arg(short, long)]
    pub quiet: bool,
    /// Provide filter values (e.g. "dangling=true").
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Format output using a custom template.
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub volumes: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Force the removal of one or more volumes.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub volumes: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Remove all unused volumes, not just anonymous ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

fn kv(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (s.clone(), String::new()),
        })
        .collect()
}

pub fn run(g: &Global, c: Cmd) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    match c {
        Cmd::Create(a) => {
            let v = engine
                .volume_create(engine::volumes::VolumeCreate {
                    name: a.name.or(a.name_flag),
                    driver: Some(a.driver),
                    labels: kv(&a.label),
                    options: kv(&a.opt),
                })
                .map_err(daemon)?;
            println!("{}", v.name);
        }
        Cmd::Ls(a) => {
            let mut vols = engine.volume_list().map_err(daemon)?;
            for f in &a.filter {
                let (k, val) = f.split_once('=').unwrap_or((f.as_str(), ""));
                let mut keep = Vec::new();
                for v in vols {
                    let ok = match k {
                        "dangling" => {
                            let used = !engine
                                .db()
                                .volume_users(&v.name)
                                .map_err(daemon)?
                                .is_empty();
                            (val == "true" || val == "1") != used
                        }
                        "name" => v.name.contains(val),
                        "driver" => v.driver == val,
                        "label" => match val.split_once('=') {
                            Some((lk, lv)) => v.labels.get(lk).is_some_and(|x| x == lv),
                            None => v.labels.contains_key(val),
                        },
                        _ => anyhow::bail!("Invalid filter '{k}'"),
                    };
                    if ok {
                        keep.push(v);
                    }
                }
                vols = keep;
            }
            if a.quiet {
                for v in &vols {
                    println!("{}", v.name);
                }
                return Ok(());
            }
            let field = |v: &engine::volumes::VolumeInfo, f: &str| -> Option<String> {
                Some(match f {
                    "Name" => v.name.clone(),
                    "Driver" => v.driver.clone(),
                    "Mountpoint" => v.mountpoint.display().to_string(),
                    "Scope" => v.scope.clone(),
                    "CreatedAt" => v.created_at.clone(),
                    "Labels" => v
                        .labels
                        .iter()
                        .map(|(k, x)| format!("{k}={x}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => return None,
                })
            };
            match a.format.as_deref() {
                Some("json") => {
                    for v in &vols {
                        println!("{}", serde_json::to_string(v)?);
                    }
                }
                Some(t) if t != "table" && !t.starts_with("table ") => {
                    let tpl = parse_format(&pre_format(t))?;
                    let mut out = String::new();
                    for v in &vols {
                        let row = row_of(
                            &[
                                "Name",
                                "Driver",
                                "Mountpoint",
                                "Scope",
                                "CreatedAt",
                                "Labels",
                            ],
                            &|f| field(v, f),
                        );
                        let go_type = "*formatter.volumeContext";
                        out.push_str(&format_row(&tpl, &row, go_type, Some(&v.labels))?);
                        out.push('\n');
                    }
                    print!("{out}");
                }
                _ => {
                    let mut rows = vec![vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]];
                    for v in &vols {
                        rows.push(vec![v.driver.clone(), v.name.clone()]);
                    }
                    print!("{}", table(&rows));
                }
            }
        }
        Cmd::Inspect(a) => {
            let tpl = super::inspect::check_format(a.format.as_deref())?;
            let mut found = Vec::new();
            let mut errors = Vec::new();
            for n in &a.volumes {
                match engine.volume_inspect(n) {
                    Ok(v) => found.push(serde_json::to_value(v)?),
                    Err(e) => errors.push(format!("Error response from daemon: get {n}: {e}")),
                }
            }
            super::inspect::report(&found, tpl.as_ref(), errors)?;
        }
        Cmd::Rm(a) => {
            let mut failed = false;
            for n in &a.volumes {
                match engine.volume_remove(n, a.force) {
                    Ok(()) => println!("{n}"),
                    Err(e) => {
                        eprintln!("Error response from daemon: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return Err(Failed.into());
            }
        }
        Cmd::Prune(a) => {
            let warning = if a.all {
                "WARNING! This will remove all local volumes not used by at least one container."
            } else {
                "WARNING! This will remove anonymous local volumes not used by at least one container."
            };
            if !super::confirm(warning, a.force)? {
                return Ok(());
            }
            let (gone, bytes) = engine.volume_prune(a.all).map_err(daemon)?;
            if !gone.is_empty() {
                println!("Deleted Volumes:");
                for n in &gone {
                    println!("{n}");
                }
                println!();
            }
            println!("Total reclaimed space: {}", human_size(bytes));
        }
    }
    Ok(())
}
