//! Container state under `--root`: one directory per container holding `state.json`,
//! the `exec.fifo` of a created container and a lock that serialises commands.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};

use crate::cgroups::CgroupPaths;
use crate::error::{Result, RuntimeError};

pub const DEFAULT_ROOT: &str = "/run/berth-runtime";
const STATE_FILE: &str = "state.json";
pub const EXEC_FIFO: &str = "exec.fifo";

/// The OCI lifecycle (runtime-spec "state"), plus `paused`, as runc reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        })
    }
}

/// What berth-runtime records about a container; everything later commands need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    pub id: String,
    pub pid: i32,
    /// Start time of `pid` (field 22 of /proc/PID/stat), so a reused pid is not mistaken
    /// for the container.
    pub pid_start: u64,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    #[serde(default)]
    pub annotations: HashMap<String, String>,
    pub cgroups: CgroupPaths,
    pub spec: Spec,
    #[serde(default)]
    pub owner: String,
}

/// The state JSON of `berth-runtime state`, shaped as runc's.
#[derive(Debug, Serialize)]
pub struct StateView<'a> {
    #[serde(rename = "ociVersion")]
    pub oci_version: &'a str,
    pub id: &'a str,
    pub pid: i32,
    pub status: Status,
    pub bundle: &'a Path,
    pub rootfs: &'a Path,
    pub created: &'a str,
    pub owner: &'a str,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub annotations: &'a HashMap<String, String>,
}

/// The state given to hooks on stdin (runtime-spec "state").
#[derive(Debug, Serialize)]
pub struct HookState<'a> {
    #[serde(rename = "ociVersion")]
    pub oci_version: &'a str,
    pub id: &'a str,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    pub bundle: &'a Path,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub annotations: &'a HashMap<String, String>,
}

/// Container ids as runc accepts them.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 1024
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+'));
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::InvalidId(id.to_string()))
    }
}

/// A container's state directory, locked for the lifetime of this value.
pub struct ContainerDir {
    pub path: PathBuf,
    _lock: Flock<File>,
}

fn lock_dir(path: &Path) -> Result<Flock<File>> {
    let f = File::open(path).map_err(|e| RuntimeError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    Flock::lock(f, FlockArg::LockExclusive)
        .map_err(|(_, e)| RuntimeError::sys(format!("lock {}", path.display()), e))
}

impl ContainerDir {
    /// Makes the directory of a new container; fails if the id is taken.
    pub fn create(root: &Path, id: &str) -> Result<Self> {
        check_id(id)?;
        std::fs::create_dir_all(root).map_err(|e| RuntimeError::Write {
            path: root.to_path_buf(),
            source: e,
        })?;
        let path = root.join(id);
        match std::fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(RuntimeError::AlreadyExists(id.to_string()))
            }
            Err(e) => return Err(RuntimeError::Write { path, source: e }),
        }
        let lock = lock_dir(&path)?;
        Ok(ContainerDir { path, _lock: lock })
    }

    /// Opens and locks an existing container's directory.
    pub fn open(root: &Path, id: &str) -> Result<Self> {
        check_id(id)?;
        let path = root.join(id);
        if !path.join(STATE_FILE).exists() {
            return Err(RuntimeError::NotFound(id.to_string()));
        }
        let lock = lock_dir(&path)?;
        // Deleted while we waited for the lock.
        if !path.join(STATE_FILE).exists() {
            return Err(RuntimeError::NotFound(id.to_string()));
        }
        Ok(ContainerDir { path, _lock: lock })
    }

    pub fn fifo(&self) -> PathBuf {
        self.path.join(EXEC_FIFO)
    }

    pub fn load(&self) -> Result<Saved> {
        let p = self.path.join(STATE_FILE);
        let text = std::fs::read(&p).map_err(|e| RuntimeError::Read {
            path: p.clone(),
            source: e,
        })?;
        serde_json::from_slice(&text).map_err(|e| RuntimeError::InvalidConfig {
            path: p,
            msg: format!("corrupt state file: {e}"),
        })
    }

    /// Writes state.json atomically (temp file, fsync-free rename: it lives on tmpfs).
    pub fn save(&self, s: &Saved) -> Result<()> {
        let tmp = self.path.join("state.json.tmp");
        let dst = self.path.join(STATE_FILE);
        let write = |p: &Path| -> std::io::Result<()> {
            // One write(2): straight into the File, serde_json issues one per token
            // (thousands with a seccomp profile in the spec).
            let bytes = serde_json::to_vec(s)?;
            let mut f = File::create(p)?;
            f.write_all(&bytes)?;
            f.flush()
        };
        write(&tmp).map_err(|e| RuntimeError::Write {
            path: tmp.clone(),
            source: e,
        })?;
        std::fs::rename(&tmp, &dst).map_err(|e| RuntimeError::Write {
            path: dst,
            source: e,
        })
    }

    /// Removes the directory (the lock file handle stays valid until drop).
    pub fn remove(self) -> Result<()> {
        std::fs::remove_dir_all(&self.path).map_err(|e| RuntimeError::Write {
            path: self.path.clone(),
            source: e,
        })
    }
}

/// Where compiled seccomp programs are cached under the state root (not a container:
/// no state file, and a name no container id can have).
pub fn seccomp_cache_dir(root: &Path) -> PathBuf {
    root.join(".seccomp")
}

/// Lists container ids under `root`.
pub fn list(root: &Path) -> Result<Vec<String>> {
    let rd = match std::fs::read_dir(root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(RuntimeError::Read {
                path: root.to_path_buf(),
                source: e,
            })
        }
    };
    let mut ids: Vec<String> = rd
        .flatten()
        .filter(|e| e.path().join(STATE_FILE).exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Start time (clock ticks after boot) and state letter of a process, or None if gone.
pub fn proc_stat(pid: i32) -> Option<(u64, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may contain spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    // field 3 is state; starttime is field 22 → 19 further fields on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((start, state))
}

/// Whether the recorded process is still alive (and is the same process).
pub fn is_alive(pid: i32, start: u64) -> bool {
    pid > 0 && matches!(proc_stat(pid), Some((s, st)) if s == start && st != 'Z' && st != 'X')
}

/// RFC 3339 UTC time with nanoseconds, as runc writes `created`.
pub fn rfc3339_now() -> String {
    rfc3339(std::time::SystemTime::now())
}

/// `t` as RFC 3339, UTC, nanoseconds, `Z` (`2026-11-24T05:00:00.123456789Z`), the form
/// runc and Docker write. Hand-written: a date crate for one format is not worth it.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        d.subsec_nanos()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_id("abc-1_2.3+4").is_ok());
        assert!(check_id("../x").is_err());
        assert!(check_id("").is_err());
        assert!(check_id("..").is_err());
    }

    #[test]
    fn second_create_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let _a = ContainerDir::create(root.path(), "c1").unwrap();
        match ContainerDir::create(root.path(), "c1") {
            Err(RuntimeError::AlreadyExists(id)) => assert_eq!(id, "c1"),
            other => panic!("unexpected {:?}", other.err()),
        }
    }

    #[test]
    fn own_process_is_alive() {
        let pid = std::process::id() as i32;
        let (start, _) = proc_stat(pid).unwrap();
        assert!(is_alive(pid, start));
        assert!(!is_alive(pid, start + 1));
    }

    #[test]
    fn time_format() {
        let t = rfc3339_now();
        assert_eq!(t.len(), 30, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
