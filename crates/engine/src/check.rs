//! `berth system check`: find what interrupted operations left between the old and the new
//! state, and repair it.
//!
//! Every multi-step operation is ordered so that a crash leaves something this check
//! recognises (docs/engine.md, "Crash safety"):
//!
//! | found | left by | repair |
//! |---|---|---|
//! | a row whose snapshot or `config.json` is gone | `rm` killed after its files went | finish the removal |
//! | a running record whose monitor is dead | a killed monitor, a reboot | stop the container if it still runs; record it exited |
//! | a stopped container with runtime state or cgroups | a killed monitor | delete them |
//! | a container directory, snapshot, monitor or runtime directory with no row | `create` killed before its row, `rm` killed before the row went | remove it |
//! | a cgroup under `/berth` with no row | a killed runtime | kill what is in it, remove it |
//! | a volume directory with no row | `volume create` or `create` killed before the row, `volume rm` killed after it | remove it |
//! | a volume row with no directory | data removed behind berth's back | recreate it empty |
//! | blobs and layers no image references, unfinished downloads and unpacks | a killed `pull`, `import` or `load` | remove them |
//! | a mount under berth's directories | a killed process holding one | unmount it |
//! | `tmp/commit-<id>-<pid>.tar`, `tmp/rootfs-<id>-<pid>` of no running `berth` | a killed `commit`, `cp`, `diff` or `export` | remove it |
//!
//! The check holds the containers lock exclusively (`create` and `rm` take it shared), so it
//! never mistakes a container being made right now for an orphan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::containers::names::short;
use crate::containers::state::{is_active, monitor_state, running};
use crate::error::Result;
use crate::lock::{Held, Lock};
use crate::Engine;

/// What the check found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// One line per problem found and repaired.
    pub repaired: Vec<String>,
    /// One line per problem found and left (dry run, or the repair failed).
    pub unrepaired: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.repaired.is_empty() && self.unrepaired.is_empty()
    }

    /// `what` was found; `fix` says what the repair does ("removed").
    pub(crate) fn outcome(
        &mut self,
        what: String,
        fix: &str,
        repair: bool,
        result: impl FnOnce() -> Result<()>,
    ) {
        if !repair {
            self.unrepaired.push(what);
            return;
        }
        match result() {
            Ok(()) => self.repaired.push(format!("{what}: {fix}")),
            Err(e) => self.unrepaired.push(format!("{what}: not {fix}: {e}")),
        }
    }
}

/// Names of the entries of a directory (none if it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Whether a name looks like a container or anonymous volume id (64 hex digits).
fn is_id(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes a directory with its content, or a file; gone already is fine.
fn remove_path(p: &Path) -> Result<()> {
    let gone = if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    };
    match gone {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::EngineError::io("remove", p, e)),
    }
}

/// Whether `pid` is a live `berth-monitor` (guards against a recycled pid).
fn is_monitor(pid: i32) -> bool {
    running(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim_end() == "berth-monitor")
}

impl Engine {
    fn snapshot_keys(&self) -> Result<Vec<String>> {
        self.snapshotter()?
            .list()
            .map_err(|e| crate::EngineError::Storage {
                layer: "snapshots".into(),
                source: e,
            })
    }

    /// Checks the state under this root; with `repair`, repairs what it finds.
    pub fn system_check(&mut self, repair: bool) -> Result<CheckReport> {
        let _lock = Held::exclusive(self.root(), Lock::Containers)?;
        let mut report = CheckReport::default();
        self.check_mounts(&mut report, repair);
        self.check_rows(&mut report, repair)?;
        self.check_orphans(&mut report, repair)?;
        self.check_networks(&mut report, repair)?;
        self.check_volumes(&mut report, repair)?;
        self.check_images(&mut report, repair)?;
        self.check_tmp(&mut report, repair);
        Ok(report)
    }

    /// Temporary files and directories of `berth` commands that are no longer running.
    fn check_tmp(&mut self, report: &mut CheckReport, repair: bool) {
        for p in stale_tmp_entries(&self.root().tmp_dir()) {
            let what = format!("temporary {} of no running command", p.display());
            report.outcome(what, "removed", repair, || remove_path(&p));
        }
    }

    /// Containers the database knows: finish interrupted removals, reconcile states.
    fn check_rows(&mut self, report: &mut CheckReport, repair: bool) -> Result<()> {
        let snapshots: BTreeSet<String> = self.snapshot_keys()?.into_iter().collect();
        let runtime_root = self.root().runtime_dir();
        for c in self.db().containers()? {
            let label = format!("container {} ({})", short(&c.id), c.name);
            let config = self.root().container_dir(&c.id).join("config.json");
            if !snapshots.contains(&c.id) || !config.exists() {
                let what = format!("{label}: its files were partly removed (an interrupted rm)");
                report.outcome(what, "removal finished", repair, || {
                    let _ = self.runtime_delete(&c.id);
                    self.remove_files_and_row(&c, c.host_config.auto_remove)
                });
                continue;
            }
            let mon = monitor_state(self, &c.id);
            let monitor_alive = mon.as_ref().is_some_and(|m| is_monitor(m.monitor_pid));
            let before = c.state.status.clone();
            let c = self.refresh(c)?;
            if monitor_alive {
                continue;
            }
            if is_active(&c.state.status) {
                // The monitor is gone but the container runs on: nothing would record its
                // exit or restart it. Stop it.
                let what = format!("{label}: running without its monitor");
                report.outcome(what, "stopped", repair, || {
                    self.runtime_delete(&c.id)?;
                    let mut st = c.state.clone();
                    st.status = "exited".into();
                    st.pid = 0;
                    st.exit_code = 137;
                    st.finished_at = crate::containers::now_rfc3339();
                    st.error = "stopped by 'berth system check': its monitor was gone".into();
                    self.db_mut().set_container_state(&c.id, &st)
                });
                continue;
            }
            if is_active(&before) {
                report
                    .repaired
                    .push(format!("{label}: its monitor was gone: recorded as exited"));
            }
            if runtime_root.join(&c.id).exists() {
                let what = format!("{label}: stopped, but its runtime state was left");
                report.outcome(what, "removed", repair, || self.runtime_delete(&c.id));
            }
        }
        Ok(())
    }

    /// Files and processes of containers the database does not know.
    fn check_orphans(&mut self, report: &mut CheckReport, repair: bool) -> Result<()> {
        let known: BTreeSet<String> = self.db().containers()?.into_iter().map(|c| c.id).collect();
        let runtime_root = self.root().runtime_dir();
        // Runtime state first: deleting it kills what still runs and removes its cgroups.
        for id in entries(&runtime_root) {
            if known.contains(&id) || !is_id(&id) {
                continue;
            }
            let what = format!("runtime state of unknown container {}", short(&id));
            report.outcome(what, "container killed, state removed", repair, || {
                self.runtime_delete(&id)
            });
        }
        for id in entries(&self.root().run_dir().join("c")) {
            if known.contains(&id) {
                continue;
            }
            let dir = self.root().monitor_dir(&id);
            let mon = monitor::state::read(&dir).ok().flatten();
            if mon.is_some_and(|m| is_monitor(m.monitor_pid)) {
                // A --rm container's monitor on its way out; it removes nothing of ours.
                continue;
            }
            let what = format!("monitor files of unknown container {}", short(&id));
            report.outcome(what, "removed", repair, || remove_path(&dir));
        }
        for id in entries(&self.root().dir().join("containers")) {
            if known.contains(&id) {
                continue;
            }
            let dir = self.root().container_dir(&id);
            let what = format!("directory of unknown container {}", short(&id));
            report.outcome(what, "removed", repair, || remove_path(&dir));
        }
        let snapshots = self.snapshot_keys()?;
        for key in snapshots {
            if known.contains(&key) {
                continue;
            }
            let what = format!("snapshot of unknown container {}", short(&key));
            report.outcome(what, "removed", repair, || {
                self.snapshotter()?
                    .remove(&key)
                    .map_err(|e| crate::EngineError::Storage {
                        layer: format!("snapshot {key}"),
                        source: e,
                    })
            });
        }
        if repair {
            match self.snapshotter()?.cleanup() {
                Ok(gone) => report.repaired.extend(
                    gone.iter()
                        .map(|p| format!("unfinished snapshot {}: removed", p.display())),
                ),
                Err(e) => report
                    .unrepaired
                    .push(format!("clean unfinished snapshots: {e}")),
            }
        }
        self.check_cgroups(&known, report, repair);
        Ok(())
    }

    /// Cgroups under berth's default parent `/berth` that belong to no running container.
    fn check_cgroups(&mut self, known: &BTreeSet<String>, report: &mut CheckReport, repair: bool) {
        let Ok(h) = runtime::cgroups::detect() else {
            return;
        };
        let Ok(parent) = runtime::cgroups::Manager::new(&h, Some(Path::new("/berth")), "berth")
        else {
            return;
        };
        let p = parent.paths();
        let dirs: Vec<PathBuf> =
            p.v1.iter()
                .map(|v| v.dir.path.clone())
                .chain(p.unified.iter().map(|d| d.path.clone()))
                .collect();
        let mut ids = BTreeSet::new();
        for d in &dirs {
            ids.extend(entries(d).into_iter().filter(|n| is_id(n)));
        }
        // Only ids this root knows: cgroups under /berth of containers of other state roots
        // look the same, and are not ours to judge. (The cgroups of unknown containers
        // that left runtime state here went with that state, above.)
        let runtime_root = self.root().runtime_dir();
        for id in ids.intersection(known) {
            let running = runtime_root.join(id).exists()
                || self
                    .db()
                    .container(id)
                    .ok()
                    .flatten()
                    .is_some_and(|c| is_active(&c.state.status));
            if running {
                continue;
            }
            let cgroup_path = PathBuf::from(format!("/berth/{id}"));
            let Ok(m) = runtime::cgroups::Manager::new(&h, Some(&cgroup_path), id) else {
                continue;
            };
            let what = format!("cgroup /berth/{} of no running container", short(id));
            report.outcome(what, "removed", repair, || {
                for pid in m.pids().unwrap_or_default() {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                let _ = m.thaw();
                m.destroy().map_err(|e| crate::EngineError::Container {
                    id: id.to_string(),
                    reason: e.to_string(),
                })
            });
        }
    }

    /// Volume directories and rows that do not match.
    fn check_volumes(&mut self, report: &mut CheckReport, repair: bool) -> Result<()> {
        let rows: BTreeSet<String> = self.db().volumes()?.into_iter().map(|v| v.name).collect();
        let dir = self.root().volumes_dir();
        for name in entries(&dir) {
            if rows.contains(&name) {
                continue;
            }
            let p = dir.join(&name);
            let what = format!("volume directory {name} with no volume");
            report.outcome(what, "removed", repair, || remove_path(&p));
        }
        for name in rows {
            let data = self.volume_data(&name);
            if data.is_dir() {
                continue;
            }
            let what = format!("volume {name}: its data directory was missing");
            report.outcome(what, "recreated empty", repair, || {
                std::fs::create_dir_all(&data)
                    .map_err(|e| crate::EngineError::io("create volume directory", &data, e))
            });
        }
        Ok(())
    }

    /// The image store: what killed pulls, imports and loads left.
    fn check_images(&mut self, report: &mut CheckReport, repair: bool) -> Result<()> {
        if !repair {
            return Ok(());
        }
        for what in self.images().sweep()? {
            report.repaired.push(what);
        }
        Ok(())
    }

    /// Mounts under the state or run root: berth keeps none on the host, so any is stale.
    fn check_mounts(&mut self, report: &mut CheckReport, repair: bool) {
        let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return;
        };
        let netns_dir = crate::networks::netns::netns_dir(self.root());
        let roots = [
            self.root().dir().to_path_buf(),
            self.root().run_dir().to_path_buf(),
        ];
        let mut stale: Vec<PathBuf> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .map(|p| PathBuf::from(unescape_mountinfo(p)))
            .filter(|p| roots.iter().any(|r| p.starts_with(r) && p != r))
            // Network namespaces of running containers: the network sweep judges those.
            .filter(|p| !p.starts_with(&netns_dir))
            .collect();
        // Deepest first.
        stale.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        stale.dedup();
        for p in stale {
            let what = format!("stale mount {}", p.display());
            report.outcome(what, "unmounted", repair, || {
                nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH)
                    .map_err(|e| crate::EngineError::io("unmount", &p, e.into()))
            });
        }
    }
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The pid in the name of a per-command temporary entry (`commit-<id>-<pid>.tar`, made by
/// `commit`; `rootfs-<id>-<pid>`, made by `cp`, `diff` and `export`).
fn tmp_owner(name: &str) -> Option<i32> {
    let rest = name
        .strip_prefix("commit-")
        .and_then(|r| r.strip_suffix(".tar"))
        .or_else(|| name.strip_prefix("rootfs-"))?;
    let (_, pid) = rest.rsplit_once('-')?;
    pid.parse().ok().filter(|p| *p > 0)
}

/// Entries of `tmp` whose command is gone (its pid no longer a live `berth`).
fn stale_tmp_entries(tmp: &Path) -> Vec<PathBuf> {
    entries(tmp)
        .into_iter()
        .filter(|name| {
            tmp_owner(name).is_some_and(|pid| {
                !(running(pid)
                    && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|c| c.trim_end() == "berth"))
            })
        })
        .map(|name| tmp.join(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_entries_of_gone_commands_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path();
        // A pid that is certainly gone: a child that has exited and been reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::fs::write(t.join(format!("commit-0123456789ab-{dead}.tar")), b"x").unwrap();
        std::fs::create_dir(t.join(format!("rootfs-0123456789ab-{dead}"))).unwrap();
        // This test process is alive but not `berth`: its files are stale too.
        let me = std::process::id();
        std::fs::write(t.join(format!("commit-0123456789ab-{me}.tar")), b"x").unwrap();
        // Not ours to judge: other names.
        std::fs::write(t.join(".tmpAbCdEf"), b"x").unwrap();
        std::fs::write(t.join("commit-notes.txt"), b"x").unwrap();
        let mut found: Vec<String> = stale_tmp_entries(t)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        let mut want = vec![
            format!("commit-0123456789ab-{dead}.tar"),
            format!("commit-0123456789ab-{me}.tar"),
            format!("rootfs-0123456789ab-{dead}"),
        ];
        want.sort();
        assert_eq!(found, want);
        assert_eq!(tmp_owner("commit-abc-12.tar"), Some(12));
        assert_eq!(tmp_owner("rootfs-abc-x"), None);
    }

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo(r"/a\040b"), "/a b");
        assert_eq!(unescape_mountinfo(r"/plain"), "/plain");
        assert_eq!(unescape_mountinfo(r"/tail\04"), r"/tail\04");
    }

    #[test]
    fn ids() {
        assert!(is_id(&"a".repeat(64)));
        assert!(!is_id("busy_name"));
        assert!(!is_id(&"g".repeat(64)));
    }
}
