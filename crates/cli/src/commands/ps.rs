//! `berth ps [-a] [-q] [-n N] [-l] [-s] [--no-trunc] [--filter F]... [--format F]`.

use std::time::SystemTime;

use engine::containers::{names::short, parse_time};
use engine::db::ContainerRecord;

use super::daemon;
use crate::format::{
    column_table, format_header, format_row, human_size, parse_format, pre_format, row_of, table,
};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show all containers (default shows just running).
    #[arg(short, long)]
    pub all: bool,
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'.
    #[arg(long)]
    pub format: Option<String>,
    /// Show n last created containers (includes all states).
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_negative_numbers = true)]
    pub last: i64,
    /// Show the latest created container (includes all states).
    #[arg(short, long)]
    pub latest: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only display container IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Display total file sizes.
    #[arg(short, long)]
    pub size: bool,
}

/// The fields of docker/cli's `ContainerContext` that berth fills.
const FIELDS: [&str; 15] = [
    "ID",
    "Names",
    "Image",
    "Command",
    "CreatedAt",
    "RunningFor",
    "Ports",
    "State",
    "Status",
    "Size",
    "Labels",
    "Mounts",
    "LocalVolumes",
    "Networks",
    "Platform",
];

/// docker/cli's container table headers (`NewContainerContext`).
fn headers() -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("ID", "CONTAINER ID"),
        ("Names", "NAMES"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("Ports", "PORTS"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Size", "SIZE"),
        ("Labels", "LABELS"),
        ("Mounts", "MOUNTS"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Networks", "NETWORKS"),
        ("Platform", "PLATFORM"),
    ] {
        m.insert(k.into(), v.into());
    }
    serde_json::Value::Object(m)
}

fn ago(t: &str) -> String {
    parse_time(t)
        .map(|t| crate::format::since(Some(t)))
        .unwrap_or_default()
}

/// Docker's STATUS column.
pub fn status(c: &ContainerRecord, health: Option<&str>) -> String {
    let s = &c.state;
    match s.status.as_str() {
        "created" => "Created".into(),
        "running" | "paused" => {
            let up = parse_time(&s.started_at)
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .map(|d| crate::format::human_duration(d.as_secs_f64()))
                .unwrap_or_else(|| "Less than a second".into());
            let mut out = format!("Up {up}");
            if s.status == "paused" {
                out.push_str(" (Paused)");
            } else if let Some(h) = health {
                if h == "starting" {
                    out.push_str(" (health: starting)");
                } else {
                    out.push_str(&format!(" ({h})"));
                }
            }
            out
        }
        "restarting" => format!("Restarting ({}) {}", s.exit_code, ago(&s.finished_at)),
        "removing" => "Removal In Progress".into(),
        "dead" => "Dead".into(),
        _ => {
            if s.finished_at.is_empty() {
                format!("Exited ({})", s.exit_code)
            } else {
                format!("Exited ({}) {}", s.exit_code, ago(&s.finished_at))
            }
        }
    }
}

/// Go's `strconv.Quote` of Docker's command string (ellipsised at 20 unless no-trunc).
fn command(c: &ContainerRecord, no_trunc: bool) -> String {
    let cmd: Vec<&str> = c
        .config
        .entrypoint
        .iter()
        .flatten()
        .chain(c.config.cmd.iter().flatten())
        .map(String::as_str)
        .collect();
    let mut s = cmd.join(" ");
    if !no_trunc && s.chars().count() > 20 {
        s = s.chars().take(19).collect::<String>() + "…";
    }
    format!("{s:?}")
}

fn image_shown(c: &ContainerRecord, no_trunc: bool) -> String {
    let i = &c.config.image;
    if i.starts_with("sha256:") && !no_trunc {
        return short(&i[7..]).to_string();
    }
    i.clone()
}

fn matches(c: &ContainerRecord, f: &str) -> anyhow::Result<bool> {
    let (k, v) = f
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("invalid filter '{f}'"))?;
    Ok(match k {
        "status" => {
            if !matches!(
                v,
                "created" | "restarting" | "running" | "removing" | "paused" | "exited" | "dead"
            ) {
                anyhow::bail!("Invalid filter 'status={v}'");
            }
            c.state.status == v
        }
        "name" => c.name.contains(v.trim_start_matches('/')),
        "id" => c.id.starts_with(v),
        "label" => match v.split_once('=') {
            Some((lk, lv)) => c.config.labels.get(lk).is_some_and(|x| x == lv),
            None => c.config.labels.contains_key(v),
        },
        "ancestor" => {
            let norm = |s: &str| {
                image::Reference::parse(s)
                    .map(|r| r.to_string())
                    .unwrap_or_else(|_| s.to_string())
            };
            norm(&c.config.image) == norm(v)
                || c.image_id == v
                || c.image_id
                    .trim_start_matches("sha256:")
                    .starts_with(v.trim_start_matches("sha256:"))
        }
        "exited" => {
            let code: i32 = v
                .parse()
                .map_err(|_| anyhow::anyhow!("invalid filter 'exited={v}'"))?;
            c.state.status == "exited" && c.state.exit_code == code
        }
        "before" | "since" | "volume" | "network" | "health" | "publish" | "expose"
        | "isolation" | "is-task" => {
            anyhow::bail!("filter '{k}' is not supported by berth yet")
        }
        _ => anyhow::bail!("Invalid filter '{k}'"),
    })
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let mut all = engine.containers().map_err(daemon)?;
    let limit = if a.latest { 1 } else { a.last };
    let show_all = a.all
        || limit > 0
        || a.filter
            .iter()
            .any(|f| f.starts_with("status=") || f.starts_with("exited="));
    let mut rows = Vec::new();
    for c in all.drain(..) {
        if !show_all && !matches!(c.state.status.as_str(), "running" | "paused" | "restarting") {
            continue;
        }
        let mut keep = true;
        for f in &a.filter {
            keep &= matches(&c, f)?;
        }
        if keep {
            rows.push(c);
        }
    }
    if limit > 0 {
        rows.truncate(limit as usize);
    }
    if a.quiet {
        for c in &rows {
            println!("{}", if a.no_trunc { &c.id[..] } else { short(&c.id) });
        }
        return Ok(());
    }
    let health = |c: &ContainerRecord| -> Option<String> {
        engine::containers::state::health_status(&g.root, &c.id)
    };
    let field = |c: &ContainerRecord, f: &str| -> Option<String> {
        Some(match f {
            "ID" => {
                if a.no_trunc {
                    c.id.clone()
                } else {
                    short(&c.id).to_string()
                }
            }
            "Image" => image_shown(c, a.no_trunc),
            "Command" => command(c, a.no_trunc),
            "CreatedAt" => crate::format::created_at(parse_time(&c.created)),
            "RunningFor" => ago(&c.created),
            "Ports" => String::new(),
            "State" => c.state.status.clone(),
            "Status" => status(c, health(c).as_deref()),
            "Size" => {
                let used = engine
                    .snapshotter()
                    .and_then(|s| {
                        s.usage(&c.id).map_err(|e| engine::EngineError::Storage {
                            layer: c.id.clone(),
                            source: e,
                        })
                    })
                    .map(|u| u.size)
                    .unwrap_or(0);
                let virt = engine
                    .images()
                    .summary_of(&c.image_id)
                    .map(|s| s.size)
                    .unwrap_or(0);
                format!("{} (virtual {})", human_size(used), human_size(used + virt))
            }
            "Names" => c.name.clone(),
            "Labels" => c
                .config
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            "Mounts" => engine
                .db()
                .container_volumes(&c.id)
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    if a.no_trunc {
                        v.volume
                    } else {
                        v.volume.chars().take(15).collect()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            "Networks" => c.host_config.network_mode.clone(),
            "LocalVolumes" => engine
                .db()
                .container_volumes(&c.id)
                .unwrap_or_default()
                .len()
                .to_string(),
            "Platform" => String::new(),
            _ => return None,
        })
    };
    match a.format.as_deref() {
        Some("json") => {
            for c in &rows {
                let mut m = serde_json::Map::new();
                for f in [
                    "Command",
                    "CreatedAt",
                    "ID",
                    "Image",
                    "Labels",
                    "LocalVolumes",
                    "Mounts",
                    "Names",
                    "Networks",
                    "Ports",
                    "RunningFor",
                    "Size",
                    "State",
                    "Status",
                ] {
                    m.insert(
                        f.into(),
                        serde_json::Value::String(field(c, f).unwrap_or_default()),
                    );
                }
                println!("{}", serde_json::Value::Object(m));
            }
        }
        Some(tpl) if tpl != "table" => {
            let table_body = tpl.strip_prefix("table");
            let t = parse_format(&pre_format(table_body.unwrap_or(tpl)))?;
            // As docker ps: Size (a disk walk) only when asked for.
            let wanted: Vec<&str> = FIELDS
                .iter()
                .copied()
                .filter(|f| *f != "Size" || a.size || tpl.contains("Size"))
                .collect();
            let mut lines = Vec::new();
            for c in &rows {
                let row = row_of(&wanted, &|f| field(c, f));
                let go_type = "*formatter.ContainerContext";
                lines.push(format_row(&t, &row, go_type, Some(&c.config.labels))?);
            }
            if table_body.is_some() {
                let header = format_header(&t, &headers())?;
                let mut cells = vec![header.split('\t').map(str::to_string).collect::<Vec<_>>()];
                cells.extend(
                    lines
                        .iter()
                        .map(|l| l.split('\t').map(str::to_string).collect()),
                );
                print!("{}", table(&cells));
            } else {
                for l in lines {
                    println!("{l}");
                }
            }
        }
        _ => {
            let mut cols = vec![
                "ID",
                "Image",
                "Command",
                "RunningFor",
                "Status",
                "Ports",
                "Names",
            ];
            if a.size {
                cols.push("Size");
            }
            let header = |c: &str| match c {
                "ID" => "CONTAINER ID",
                "Image" => "IMAGE",
                "Command" => "COMMAND",
                "RunningFor" => "CREATED",
                "Status" => "STATUS",
                "Ports" => "PORTS",
                "Names" => "NAMES",
                _ => "SIZE",
            };
            print!("{}", column_table(&cols, header, &rows, |r, c| field(r, c)));
        }
    }
    Ok(())
}
