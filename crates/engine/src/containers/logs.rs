//! Reading a container's json-file log (written and rotated by its monitor): the rotated
//! files oldest first (`-json.log.N` … `.1`), then the live one; `--follow` keeps reading
//! the live file across rotations until the container stops.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::lifecycle::log_path;
use super::state::is_active;
use crate::error::{EngineError, Result};
use crate::Engine;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    /// The text, with its newline when it ended a line.
    pub log: String,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// RFC 3339 with nanoseconds.
    pub time: String,
}

/// `logs` options.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    /// Only the last N entries.
    pub tail: Option<usize>,
    pub since: Option<SystemTime>,
    pub until: Option<SystemTime>,
}

/// The log files oldest first: `.N` … `.1`, then the live one.
fn files(live: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = (1..1000u32)
        .map(|n| PathBuf::from(format!("{}.{n}", live.display())))
        .take_while(|p| p.exists())
        .collect();
    v.reverse();
    v.push(live.to_path_buf());
    v
}

fn keep(e: &LogEntry, o: &LogOptions) -> bool {
    if o.since.is_none() && o.until.is_none() {
        return true;
    }
    let Some(t) = super::parse_time(&e.time) else {
        return true;
    };
    o.since.is_none_or(|s| t >= s) && o.until.is_none_or(|u| t <= u)
}

fn read_entries(r: &mut impl BufRead, o: &LogOptions, out: &mut Vec<LogEntry>) {
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 {
        if line.ends_with('\n') {
            if let Ok(e) = serde_json::from_str::<LogEntry>(&line) {
                if keep(&e, o) {
                    out.push(e);
                }
            }
            line.clear();
        } else {
            // A line the monitor is still writing: leave it for the next read.
            break;
        }
    }
}

impl Engine {
    /// Calls `sink` for each entry of the container's log as `o` selects.
    pub fn container_logs(
        &mut self,
        id_or_name: &str,
        o: &LogOptions,
        sink: &mut dyn FnMut(&LogEntry) -> std::io::Result<()>,
    ) -> Result<()> {
        let c = self.container(id_or_name)?;
        if c.host_config.log_config.kind == "none" {
            return Err(EngineError::InvalidParameter(
                "configured logging driver does not support reading".into(),
            ));
        }
        let live = log_path(&self.root().container_dir(&c.id), &c.id);
        let mut entries = Vec::new();
        let all = files(&live);
        let mut live_file = None;
        for (i, p) in all.iter().enumerate() {
            let Ok(f) = File::open(p) else { continue };
            let mut r = BufReader::new(f);
            read_entries(&mut r, o, &mut entries);
            if i == all.len() - 1 {
                live_file = Some(r);
            }
        }
        if let Some(n) = o.tail {
            let skip = entries.len().saturating_sub(n);
            entries.drain(..skip);
        }
        let pipe = |e: std::io::Error| EngineError::io("write log output", "stdout", e);
        for e in &entries {
            sink(e).map_err(pipe)?;
        }
        if !o.follow {
            return Ok(());
        }
        // Follow: poll the live file; reopen it when the monitor rotated it.
        let mut reader = live_file;
        let mut ino = std::fs::metadata(&live).map(|m| m.ino()).unwrap_or(0);
        loop {
            let active = is_active(&self.container(&c.id)?.state.status);
            if reader.is_none() {
                reader = File::open(&live).ok().map(BufReader::new);
            }
            let mut fresh = Vec::new();
            if let Some(r) = reader.as_mut() {
                read_entries(r, o, &mut fresh);
            }
            for e in &fresh {
                sink(e).map_err(pipe)?;
            }
            let now_ino = std::fs::metadata(&live).map(|m| m.ino()).unwrap_or(0);
            if now_ino != ino {
                ino = now_ino;
                reader = File::open(&live).ok().map(BufReader::new);
                continue;
            }
            if !active {
                return Ok(());
            }
            if o.until.is_some_and(|u| SystemTime::now() > u) {
                return Ok(());
            }
            // A BufReader keeps no EOF state: the next read_line reads the file again.
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_files_oldest_first_and_partial_lines_wait() {
        let d = tempfile::tempdir().unwrap();
        let live = d.path().join("x-json.log");
        let line = |s: &str| {
            format!("{{\"log\":\"{s}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-24T05:00:00.000000001Z\"}}\n")
        };
        std::fs::write(format!("{}.2", live.display()), line("a")).unwrap();
        std::fs::write(format!("{}.1", live.display()), line("b")).unwrap();
        std::fs::write(&live, line("c") + "{\"log\":\"partial").unwrap();
        let fs = files(&live);
        assert_eq!(fs.len(), 3);
        let mut out = Vec::new();
        for p in fs {
            read_entries(
                &mut BufReader::new(File::open(p).unwrap()),
                &LogOptions::default(),
                &mut out,
            );
        }
        let logs: Vec<_> = out.iter().map(|e| e.log.as_str()).collect();
        assert_eq!(logs, ["a\n", "b\n", "c\n"]);
    }
}
