//! The event journal: berth has no daemon to hold Docker's event stream, so every
//! writer (the engine at each operation, the monitor at a container's `die`, restart
//! `start` and `health_status`) appends one JSON object per line to
//! `<run_root>/events.jsonl`, and `berth events` reads (and follows) that file.
//!
//! One record type, Docker's `events.Message` JSON shape, defined here because the
//! monitor does not link the engine while the engine links the monitor.
//!
//! Concurrency: a line is written with one `write(2)` on an `O_APPEND` fd, so lines of
//! concurrent writers never interleave. Bounds: once the file passes [`MAX_BYTES`] it is
//! renamed to `events.jsonl.1` (replacing the older one) under an `flock` on
//! `events.jsonl.lock`, so at most two files of history are kept (~25 000 events).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The journal's file name in the run root.
pub const JOURNAL: &str = "events.jsonl";
/// Size past which the journal is rotated to `events.jsonl.1`.
pub const MAX_BYTES: u64 = 4 << 20;

/// Docker's `events.Actor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: BTreeMap<String, String>,
}

/// Docker's `events.Message`, as `docker events --format json` prints it: the
/// deprecated `status`/`id`/`from` are filled for container events (as Docker does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "Actor")]
    pub actor: Actor,
    pub scope: String,
    pub time: i64,
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

impl Event {
    /// An event of `kind` (`container`, `image`, `volume`…) happening now.
    pub fn new(kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) -> Event {
        Event::at(SystemTime::now(), kind, action, id, attributes)
    }

    /// As [`Event::new`], at time `t`.
    pub fn at(
        t: SystemTime,
        kind: &str,
        action: &str,
        id: &str,
        attributes: BTreeMap<String, String>,
    ) -> Event {
        let nanos = t
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let (status, legacy_id, from) = if kind == "container" {
            (
                action.to_string(),
                id.to_string(),
                attributes.get("image").cloned().unwrap_or_default(),
            )
        } else {
            Default::default()
        };
        Event {
            status,
            id: legacy_id,
            from,
            kind: kind.to_string(),
            action: action.to_string(),
            actor: Actor {
                id: id.to_string(),
                attributes,
            },
            scope: "local".into(),
            time: nanos / 1_000_000_000,
            time_nano: nanos,
        }
    }

    /// Docker's text line (cli `printOutput`): `TIME TYPE ACTION ID (k=v, …)`, the
    /// attributes sorted by key, no trailing newline.
    pub fn line(&self) -> String {
        let secs = u64::try_from(self.time_nano / 1_000_000_000).unwrap_or(0);
        let nanos = u32::try_from(self.time_nano % 1_000_000_000).unwrap_or(0);
        let t = UNIX_EPOCH + std::time::Duration::new(secs, nanos);
        let mut s = format!(
            "{} {} {} {}",
            crate::time::rfc3339(t),
            self.kind,
            self.action,
            self.actor.id
        );
        if !self.actor.attributes.is_empty() {
            let attrs: Vec<String> = self
                .actor
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            s.push_str(&format!(" ({})", attrs.join(", ")));
        }
        s
    }
}

/// `<run_root>/events.jsonl`.
pub fn journal_path(run_root: &Path) -> PathBuf {
    run_root.join(JOURNAL)
}

/// The rotated predecessor of `journal`: `events.jsonl.1`.
pub fn rotated_path(journal: &Path) -> PathBuf {
    let mut p = journal.as_os_str().to_owned();
    p.push(".1");
    PathBuf::from(p)
}

/// Appends `ev` to the journal at `path` in one `write(2)`, rotating it when too large.
pub fn append(path: &Path, ev: &Event) -> io::Result<()> {
    let mut line = serde_json::to_vec(ev).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(path)?;
    let n = f.write(&line)?;
    if n != line.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("short write to {}", path.display()),
        ));
    }
    if f.metadata()?.len() > MAX_BYTES {
        rotate(path)?;
    }
    Ok(())
}

/// Renames the journal to `.1` unless another writer already did (checked under a lock).
fn rotate(path: &Path) -> io::Result<()> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(lock_path))?;
    let _held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| io::Error::from(e))?;
    if std::fs::metadata(path)?.len() > MAX_BYTES {
        std::fs::rename(path, rotated_path(path))?;
    }
    Ok(())
}

/// Every event in the journal (the rotated file first), oldest first. Missing files are
/// empty; a line that does not parse (a torn write after a crash) is skipped.
pub fn read_all(path: &Path) -> io::Result<Vec<Event>> {
    let mut out = Vec::new();
    for p in [rotated_path(path), path.to_path_buf()] {
        match std::fs::read(&p) {
            Ok(b) => out.extend(parse_lines(&b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn parse_lines(b: &[u8]) -> impl Iterator<Item = Event> + '_ {
    b.split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice(l).ok())
}

/// Follows the journal from its current end: [`Follower::poll`] returns the events
/// appended since, across rotations.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    ino: u64,
    pos: u64,
    partial: Vec<u8>,
}

impl Follower {
    /// Starts at the end of the journal as it is now.
    pub fn from_end(path: &Path) -> io::Result<Follower> {
        let mut f = Follower {
            path: path.to_path_buf(),
            file: None,
            ino: 0,
            pos: 0,
            partial: Vec::new(),
        };
        if let Some((file, ino)) = f.open()? {
            f.pos = file.metadata()?.len();
            f.file = Some(file);
            f.ino = ino;
        }
        Ok(f)
    }

    fn open(&self) -> io::Result<Option<(File, u64)>> {
        match File::open(&self.path) {
            Ok(file) => {
                let ino = file.metadata()?.ino();
                Ok(Some((file, ino)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Events appended since the last call (complete lines only).
    pub fn poll(&mut self) -> io::Result<Vec<Event>> {
        let mut out = self.drain()?;
        // Rotated (or created) since: finish the old file, then start the new one at 0.
        if let Some((file, ino)) = self.open()? {
            if self.file.is_none() || ino != self.ino {
                self.file = Some(file);
                self.ino = ino;
                self.pos = 0;
                self.partial.clear();
                out.extend(self.drain()?);
            }
        }
        Ok(out)
    }

    fn drain(&mut self) -> io::Result<Vec<Event>> {
        let Some(file) = &mut self.file else {
            return Ok(Vec::new());
        };
        file.seek(SeekFrom::Start(self.pos))?;
        let mut buf = Vec::new();
        let n = file.read_to_end(&mut buf)?;
        self.pos += n as u64;
        self.partial.extend_from_slice(&buf);
        let Some(last_nl) = self.partial.iter().rposition(|c| *c == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(last_nl + 1);
        let done = std::mem::replace(&mut self.partial, rest);
        Ok(parse_lines(&done).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn attrs(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn line_is_dockers() {
        let t = UNIX_EPOCH + Duration::new(1_795_496_400, 123_456_789);
        let e = Event::at(
            t,
            "container",
            "start",
            "abc",
            attrs(&[("name", "foo"), ("image", "busybox")]),
        );
        assert_eq!(
            e.line(),
            "2026-11-24T05:00:00.123456789Z container start abc (image=busybox, name=foo)"
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["status"], "start");
        assert_eq!(v["from"], "busybox");
        assert_eq!(v["Actor"]["ID"], "abc");
        assert_eq!(v["scope"], "local");
        assert_eq!(v["time"], 1_795_496_400);
        assert_eq!(v["timeNano"], 1_795_496_400_123_456_789i64);
        let img = Event::at(t, "image", "tag", "busybox:x", BTreeMap::new());
        assert_eq!(
            img.line(),
            "2026-11-24T05:00:00.123456789Z image tag busybox:x"
        );
        assert!(serde_json::to_value(&img).unwrap().get("status").is_none());
    }

    #[test]
    fn append_read_follow_and_rotate() {
        let d = tempfile::tempdir().unwrap();
        let p = journal_path(d.path());
        let mut f = Follower::from_end(&p).unwrap();
        assert!(f.poll().unwrap().is_empty());
        append(&p, &Event::new("volume", "create", "v1", BTreeMap::new())).unwrap();
        let got = f.poll().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].actor.id, "v1");
        // A torn line is skipped by readers, and completed lines still arrive.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"Type\":")
            .unwrap();
        assert!(f.poll().unwrap().is_empty());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"\n")
            .unwrap();
        append(&p, &Event::new("volume", "destroy", "v1", BTreeMap::new())).unwrap();
        let got = f.poll().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].action, "destroy");
        // Past the bound: rotated; the follower continues in the new file.
        let big = Event::new("image", "pull", &"x".repeat(1 << 20), BTreeMap::new());
        for _ in 0..5 {
            append(&p, &big).unwrap();
        }
        assert!(rotated_path(&p).exists());
        assert!(std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) <= MAX_BYTES);
        append(&p, &Event::new("volume", "create", "v2", BTreeMap::new())).unwrap();
        let got = f.poll().unwrap();
        assert_eq!(got.last().unwrap().actor.id, "v2");
        assert_eq!(got.iter().filter(|e| e.action == "pull").count(), 5);
        let all = read_all(&p).unwrap();
        assert_eq!(all.last().unwrap().actor.id, "v2");
    }
}
