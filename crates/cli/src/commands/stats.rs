//! `berth stats [-a] [--no-stream] [--no-trunc] [--format F] [CONTAINER...]`: Docker's
//! resource table (formatter/stats.go). CPU % needs two samples: `--no-stream` takes
//! them 500 ms apart; streaming redraws every 500 ms (clearing a terminal first, one
//! table after another otherwise) until interrupted.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use engine::containers::stats::{cpu_percent, memory_percent, StatsSample};

use super::daemon;
use crate::format::{human_size, table, template};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show all containers (default shows just running).
    #[arg(short, long)]
    pub all: bool,
    /// Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'.
    #[arg(long)]
    pub format: Option<String>,
    /// Disable streaming stats and only pull the first result.
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    pub containers: Vec<String>,
}

const INTERVAL: Duration = Duration::from_millis(500);
const DEFAULT_TABLE: &str =
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const JSON_FIELDS: [&str; 9] = [
    "BlockIO",
    "CPUPerc",
    "Container",
    "ID",
    "MemPerc",
    "MemUsage",
    "Name",
    "NetIO",
    "PIDs",
];

/// go-units `BytesSize`: binary units, `%.4g` (`1.234MiB`, `64MiB`, `0B`).
pub fn bytes_size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{}{}", g4(v), UNITS[i])
}

/// Go's `%.4g` for 0 <= v < 1024.
fn g4(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.log10().floor() as i32;
    let decimals = (3 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One row: the container as asked for, the sample before and now.
struct Row {
    container: String,
    prev: StatsSample,
    cur: StatsSample,
}

fn field(r: &Row, f: &str, no_trunc: bool) -> Option<String> {
    let s = &r.cur;
    Some(match f {
        "Container" => r.container.clone(),
        "ID" => {
            if no_trunc {
                s.id.clone()
            } else {
                s.id.chars().take(12).collect()
            }
        }
        "Name" => s.name.clone(),
        "CPUPerc" => format!("{:.2}%", cpu_percent(&r.prev, s)),
        "MemUsage" => format!("{} / {}", bytes_size(s.memory), bytes_size(s.memory_limit)),
        "MemPerc" => format!("{:.2}%", memory_percent(s)),
        "NetIO" => format!("{} / {}", human_size(s.net_rx), human_size(s.net_tx)),
        "BlockIO" => format!(
            "{} / {}",
            human_size(s.block_read),
            human_size(s.block_write)
        ),
        "PIDs" => s.pids.to_string(),
        _ => return None,
    })
}

fn header(f: &str) -> Option<String> {
    Some(
        match f {
            "Container" => "CONTAINER",
            "ID" => "CONTAINER ID",
            "Name" => "NAME",
            "CPUPerc" => "CPU %",
            "MemUsage" => "MEM USAGE / LIMIT",
            "MemPerc" => "MEM %",
            "NetIO" => "NET I/O",
            "BlockIO" => "BLOCK I/O",
            "PIDs" => "PIDS",
            _ => return None,
        }
        .to_string(),
    )
}

/// The output for `rows` in `format` (Docker's default table when none).
fn render(rows: &[Row], format: Option<&str>, no_trunc: bool) -> anyhow::Result<String> {
    let format = match format {
        None | Some("") | Some("table") => DEFAULT_TABLE,
        Some(f) => f,
    };
    let mut out = String::new();
    if format == "json" {
        for r in rows {
            let m: serde_json::Map<String, serde_json::Value> = JSON_FIELDS
                .iter()
                .map(|f| {
                    let v = field(r, f, no_trunc).unwrap_or_default();
                    ((*f).to_string(), serde_json::Value::String(v))
                })
                .collect();
            out.push_str(&serde_json::Value::Object(m).to_string());
            out.push('\n');
        }
        return Ok(out);
    }
    if let Some(body) = format.strip_prefix("table ") {
        let split = |line: String| line.split('\t').map(str::to_string).collect::<Vec<_>>();
        let mut cells = vec![split(template(body, &header)?)];
        for r in rows {
            cells.push(split(template(body, &|f| field(r, f, no_trunc))?));
        }
        return Ok(table(&cells));
    }
    for r in rows {
        out.push_str(&template(format, &|f| field(r, f, no_trunc))?);
        out.push('\n');
    }
    Ok(out)
}

/// The containers to show: those named, else the running ones (all with `-a`), as
/// (shown as, id).
fn targets(engine: &mut engine::Engine, a: &Args) -> anyhow::Result<Vec<(String, String)>> {
    if !a.containers.is_empty() {
        return a
            .containers
            .iter()
            .map(|n| Ok((n.clone(), engine.container(n).map_err(daemon)?.id)))
            .collect();
    }
    let mut all = engine.containers().map_err(daemon)?;
    all.reverse();
    Ok(all
        .into_iter()
        .filter(|c| a.all || matches!(c.state.status.as_str(), "running" | "paused"))
        .map(|c| (c.id.clone(), c.id))
        .collect())
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    // A template is checked before anything is read, as Docker's parse does.
    if let Some(f) = a.format.as_deref() {
        render(&[], Some(f), a.no_trunc)?;
    }
    let mut prev: BTreeMap<String, StatsSample> = BTreeMap::new();
    let terminal = std::io::stdout().is_terminal();
    let mut first = true;
    loop {
        let list = targets(&mut engine, &a)?;
        if first {
            for (_, id) in &list {
                if let Ok(s) = engine.container_stats(id) {
                    prev.insert(id.clone(), s);
                }
            }
            std::thread::sleep(INTERVAL);
            first = false;
        }
        let mut rows = Vec::new();
        for (shown, id) in list {
            let cur = match engine.container_stats(&id) {
                Ok(s) => s,
                // Removed since it was listed: dropped, as Docker drops it.
                Err(engine::EngineError::NoSuchContainer(_)) if a.containers.is_empty() => continue,
                Err(e) => return Err(daemon(e)),
            };
            let before = prev.insert(id, cur.clone()).unwrap_or_else(|| cur.clone());
            rows.push(Row {
                container: shown,
                prev: before,
                cur,
            });
        }
        let text = render(&rows, a.format.as_deref(), a.no_trunc)?;
        let mut out = std::io::stdout().lock();
        if terminal && !a.no_stream {
            // Clear the screen and home the cursor, as Docker's CLI.
            out.write_all(b"\x1b[2J\x1b[H")?;
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        if a.no_stream {
            return Ok(());
        }
        std::thread::sleep(INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sizes_like_go_units() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1023), "1023B");
        assert_eq!(bytes_size(64 << 20), "64MiB");
        assert_eq!(bytes_size(1_293_942), "1.234MiB");
        assert_eq!(bytes_size(1536), "1.5KiB");
        assert_eq!(bytes_size(7_999_999_999), "7.451GiB");
        assert_eq!(bytes_size((1 << 20) - 1), "1024KiB");
    }

    fn sample(cpu: u64, system: u64) -> StatsSample {
        StatsSample {
            id: "0123456789abcdef".into(),
            name: "web".into(),
            running: true,
            read_at: std::time::SystemTime::UNIX_EPOCH,
            cpu_total: cpu,
            system_cpu: system,
            online_cpus: 2,
            memory: 1_293_942,
            memory_limit: 64 << 20,
            net_rx: 1200,
            net_tx: 0,
            block_read: 4_096_000,
            block_write: 0,
            pids: 3,
        }
    }

    #[test]
    fn table_json_and_templates() {
        let rows = vec![Row {
            container: "web".into(),
            prev: sample(0, 0),
            cur: sample(250, 1000),
        }];
        let t = render(&rows, None, false).unwrap();
        let mut lines = t.lines();
        assert_eq!(
            lines.next().unwrap(),
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O      BLOCK I/O    PIDS"
        );
        assert_eq!(
            lines.next().unwrap(),
            "0123456789ab   web       50.00%    1.234MiB / 64MiB    1.93%     1.2kB / 0B   4.1MB / 0B   3"
        );
        assert_eq!(
            render(&rows, Some("{{.Name}} {{.MemUsage}}"), false).unwrap(),
            "web 1.234MiB / 64MiB\n"
        );
        let j: serde_json::Value =
            serde_json::from_str(render(&rows, Some("json"), true).unwrap().trim()).unwrap();
        assert_eq!(j["ID"], "0123456789abcdef");
        assert_eq!(j["PIDs"], "3");
        assert_eq!(j["CPUPerc"], "50.00%");
        assert!(render(&rows, Some("{{.Nope}}"), false).is_err());
    }
}
