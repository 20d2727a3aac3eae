//! `berth logs [-f] [--tail N] [-t] [--since T] [--until T] CONTAINER`.

use std::io::Write;
use std::time::{Duration, SystemTime};

use engine::containers::logs::{LogEntry, LogOptions};

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show extra details provided to logs.
    #[arg(long)]
    pub details: bool,
    /// Follow log output.
    #[arg(short, long)]
    pub follow: bool,
    /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m").
    #[arg(long)]
    pub since: Option<String>,
    /// Number of lines to show from the end of the logs ("all" for all).
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m").
    #[arg(long)]
    pub until: Option<String>,
    pub container: String,
}

/// Docker's `--since`/`--until` values: RFC 3339 (date, or with time), unix seconds
/// (with fraction), or a Go duration before now (`10m`, `1h30m`).
pub fn parse_when(s: &str) -> anyhow::Result<SystemTime> {
    if let Ok(secs) = s.parse::<f64>() {
        return Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0)));
    }
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok(SystemTime::now() - d);
    }
    if let Some(t) = engine::containers::parse_time(s) {
        return Ok(t);
    }
    if let Ok(t) = humantime::parse_rfc3339_weak(&format!("{s}T00:00:00")) {
        return Ok(t);
    }
    anyhow::bail!("invalid value for \"since\": failed to parse value as time or duration: {s:?}")
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let tail = if a.tail == "all" {
        None
    } else {
        match a.tail.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => None,
        }
    };
    let o = LogOptions {
        follow: a.follow,
        tail,
        since: a.since.as_deref().map(parse_when).transpose()?,
        until: a.until.as_deref().map(parse_when).transpose()?,
    };
    let mut engine = g.engine().map_err(daemon)?;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let ts = a.timestamps;
    let mut sink = |e: &LogEntry| -> std::io::Result<()> {
        let prefix = if ts {
            format!("{} ", e.time)
        } else {
            String::new()
        };
        if e.stream == "stderr" {
            let mut w = stderr.lock();
            write!(w, "{prefix}{}", e.log)?;
            w.flush()
        } else {
            let mut w = stdout.lock();
            write!(w, "{prefix}{}", e.log)?;
            w.flush()
        }
    };
    match engine.container_logs(&a.container, &o, &mut sink) {
        Ok(()) => Ok(()),
        Err(engine::EngineError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            Ok(())
        }
        Err(e) => Err(daemon(e)),
    }
}
