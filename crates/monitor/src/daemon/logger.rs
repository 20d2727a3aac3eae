//! The container's log in Docker's json-file format, one JSON object per line:
//! `{"log":"hi\n","stream":"stdout","time":"2026-11-24T05:00:00.123456789Z"}`.
//!
//! Lines are split as Docker's log copier does: a line ends at `\n`; a line longer
//! than 16 KiB is written in 16 KiB pieces without the newline. Rotation follows
//! Docker's jsonfilelog (`path` → `path.1` → `path.2` …, `max_files` in all) but is
//! checked before every write, so a file never passes `max_size` unless a single
//! entry is larger than it (Docker checks after the write; conmon #266 and #295 are
//! what a loose check leads to).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::LogOpts;

/// Docker's copier buffer: longer lines are split into pieces of this size.
pub const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

#[derive(Serialize)]
struct Entry<'a> {
    log: &'a str,
    stream: &'a str,
    time: &'a str,
}

pub struct JsonLog {
    opts: LogOpts,
    file: File,
    size: u64,
    /// The unfinished line of each stream.
    partial: [Vec<u8>; 2],
}

fn open_append(p: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(p)
}

fn numbered(p: &Path, n: u32) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl JsonLog {
    pub fn open(opts: LogOpts) -> io::Result<JsonLog> {
        if let Some(dir) = opts.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(&opts.path)?;
        let size = file.metadata()?.len();
        Ok(JsonLog {
            opts,
            file,
            size,
            partial: [Vec::new(), Vec::new()],
        })
    }

    /// Logs bytes the container wrote; whole lines now, the rest when it is finished
    /// (or reaches 16 KiB, or [`JsonLog::flush`] is called).
    pub fn write(&mut self, stream: Stream, data: &[u8], time: &str) -> io::Result<()> {
        let idx = stream as usize;
        let mut rest = data;
        while !rest.is_empty() {
            let room = MAX_LINE - self.partial[idx].len();
            let take = rest.len().min(room);
            match rest[..take].iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    let line = &rest[..=nl];
                    if self.partial[idx].is_empty() {
                        self.entry(stream, line, time)?;
                    } else {
                        let mut whole = std::mem::take(&mut self.partial[idx]);
                        whole.extend_from_slice(line);
                        self.entry(stream, &whole, time)?;
                    }
                    rest = &rest[nl + 1..];
                }
                None => {
                    self.partial[idx].extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if self.partial[idx].len() == MAX_LINE {
                        self.flush_stream(stream, time)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes unfinished lines as they are (at the container's exit).
    pub fn flush(&mut self, time: &str) -> io::Result<()> {
        self.flush_stream(Stream::Stdout, time)?;
        self.flush_stream(Stream::Stderr, time)
    }

    fn flush_stream(&mut self, stream: Stream, time: &str) -> io::Result<()> {
        let idx = stream as usize;
        if self.partial[idx].is_empty() {
            return Ok(());
        }
        let piece = std::mem::take(&mut self.partial[idx]);
        self.entry(stream, &piece, time)
    }

    fn entry(&mut self, stream: Stream, line: &[u8], time: &str) -> io::Result<()> {
        let log = String::from_utf8_lossy(line);
        let mut text = serde_json::to_vec(&Entry {
            log: &log,
            stream: stream.name(),
            time,
        })
        .map_err(io::Error::other)?;
        text.push(b'\n');
        let n = text.len() as u64;
        if self.opts.max_size > 0 && self.size > 0 && self.size + n > self.opts.max_size {
            self.rotate()?;
        }
        self.file.write_all(&text)?;
        self.size += n;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let path = &self.opts.path;
        if self.opts.max_files <= 1 {
            self.file.set_len(0)?;
        } else {
            for i in (1..self.opts.max_files - 1).rev() {
                match std::fs::rename(numbered(path, i), numbered(path, i + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            std::fs::rename(path, numbered(path, 1))?;
            self.file = open_append(path)?;
        }
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const T: &str = "2026-11-24T05:00:00.123456789Z";

    fn entries(p: &Path) -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn log(dir: &Path, max_size: u64, max_files: u32) -> JsonLog {
        JsonLog::open(LogOpts {
            path: dir.join("x-json.log"),
            max_size,
            max_files,
        })
        .unwrap()
    }

    #[test]
    fn lines_split_as_docker() {
        let d = tempfile::tempdir().unwrap();
        let mut l = log(d.path(), 0, 1);
        l.write(Stream::Stdout, b"hi\nthere", T).unwrap();
        l.write(Stream::Stderr, b"oops\n", T).unwrap();
        l.write(Stream::Stdout, b" you\n", T).unwrap();
        l.write(Stream::Stdout, &vec![b'a'; MAX_LINE + 10], T)
            .unwrap();
        l.write(Stream::Stdout, b"tail", T).unwrap();
        l.flush(T).unwrap();
        let e = entries(&d.path().join("x-json.log"));
        assert_eq!(e[0]["log"], "hi\n");
        assert_eq!(e[0]["stream"], "stdout");
        assert_eq!(e[0]["time"], T);
        assert_eq!(e[1]["log"], "oops\n");
        assert_eq!(e[1]["stream"], "stderr");
        assert_eq!(e[2]["log"], "there you\n");
        assert_eq!(e[3]["log"].as_str().unwrap().len(), MAX_LINE);
        assert_eq!(
            e[4]["log"].as_str().unwrap(),
            format!("{}tail", "a".repeat(10))
        );
        assert_eq!(e.len(), 5);
    }

    #[test]
    fn rotates_keeping_max_files() {
        let d = tempfile::tempdir().unwrap();
        let mut l = log(d.path(), 300, 3);
        for i in 0..40 {
            l.write(Stream::Stdout, format!("line {i}\n").as_bytes(), T)
                .unwrap();
        }
        let p = d.path().join("x-json.log");
        for f in [p.clone(), numbered(&p, 1), numbered(&p, 2)] {
            let len = std::fs::metadata(&f).unwrap().len();
            assert!(len > 0 && len <= 300, "{}: {len}", f.display());
        }
        assert!(!numbered(&p, 3).exists());
        let newest = entries(&p);
        assert_eq!(newest.last().unwrap()["log"], "line 39\n");
        let older = entries(&numbered(&p, 1));
        let last_older = older.last().unwrap()["log"].as_str().unwrap().to_string();
        assert_eq!(
            newest[0]["log"]
                .as_str()
                .unwrap()
                .trim_end()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse::<u32>()
                .unwrap(),
            last_older
                .trim_end()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse::<u32>()
                .unwrap()
                + 1
        );
    }

    #[test]
    fn one_file_truncates_in_place() {
        let d = tempfile::tempdir().unwrap();
        let mut l = log(d.path(), 200, 1);
        for i in 0..20 {
            l.write(Stream::Stdout, format!("line {i}\n").as_bytes(), T)
                .unwrap();
        }
        let p = d.path().join("x-json.log");
        assert!(std::fs::metadata(&p).unwrap().len() <= 200);
        assert!(!numbered(&p, 1).exists());
        assert_eq!(entries(&p).last().unwrap()["log"], "line 19\n");
    }
}
