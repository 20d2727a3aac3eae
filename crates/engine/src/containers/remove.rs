//! `rm`, the `--rm` cleanup the monitor asks for, and `container prune`.
//!
//! Order (crash-safe): the runtime's state, the snapshot and the container directory go
//! first, each step tolerating "already gone"; the database row goes last. A crash in
//! between leaves a row whose files are (partly) gone — `rm` again finishes the job, and
//! `system check` reports it.

use std::time::Duration;

use super::state::is_active;
use crate::db::ContainerRecord;
use crate::error::{EngineError, Result};
use crate::lock::{Held, Lock};
use crate::Engine;

impl Engine {
    /// Removes a container; `force` kills a running one first; `volumes` also removes its
    /// anonymous volumes (named ones always stay, as in Docker).
    pub fn container_remove(
        &mut self,
        id_or_name: &str,
        force: bool,
        volumes: bool,
    ) -> Result<ContainerRecord> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let c = self.container(id_or_name)?;
        if is_active(&c.state.status) {
            if !force {
                let what = if c.state.status == "paused" {
                    "You cannot remove a paused container"
                } else {
                    "You cannot remove a running container"
                };
                return Err(EngineError::ContainerConflict(format!(
                    "{what} {}. Stop the container before attempting removal or force remove",
                    c.id
                )));
            }
            self.container_kill(&c.id, Some("SIGKILL"), true)?;
            self.container_wait_exit(&c.id, Some(Duration::from_secs(30)))?;
        }
        self.remove_files_and_row(&c, volumes)?;
        Ok(c)
    }

    /// The monitor's last act for a `--rm` container: remove it and its anonymous
    /// volumes. Gone already is fine.
    pub fn container_cleanup(&mut self, id: &str) -> Result<()> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let c = match self.find_container(id) {
            Ok(c) => c,
            Err(EngineError::NoSuchContainer(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !c.host_config.auto_remove {
            return Ok(());
        }
        self.remove_files_and_row(&c, true)
    }

    /// The removal proper; the caller holds the containers lock.
    pub(crate) fn remove_files_and_row(
        &mut self,
        c: &ContainerRecord,
        volumes: bool,
    ) -> Result<()> {
        let _ = self.runtime_delete(&c.id);
        // What cannot be undone now (no libnftables, say) is found again by `system check`.
        if let Err(e) = self.network_release(&c.id) {
            tracing::warn!("release the network of {}: {e}", c.id);
        }
        match self.snapshotter()?.remove(&c.id) {
            Ok(()) => {}
            Err(storage::StorageError::SnapshotNotFound { .. }) => {}
            Err(e) => {
                return Err(EngineError::Storage {
                    layer: format!("container {}", c.id),
                    source: e,
                })
            }
        }
        for dir in [
            self.root().container_dir(&c.id),
            self.root().monitor_dir(&c.id),
        ] {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(EngineError::io("remove container directory", &dir, e)),
            }
        }
        let vols = self.db().container_volumes(&c.id)?;
        self.db_mut().delete_container(&c.id)?;
        self.emit_container(c, "destroy", &[]);
        if volumes {
            for v in vols {
                let anonymous = self.db().volume(&v.volume)?.is_some_and(|r| r.anonymous);
                if anonymous && self.db().volume_users(&v.volume)?.is_empty() {
                    self.volume_remove(&v.volume, true)?;
                }
            }
        }
        Ok(())
    }

    /// Removes every stopped container; returns their ids and the bytes their writable
    /// layers held.
    pub fn container_prune(&mut self) -> Result<(Vec<String>, u64)> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let mut gone = Vec::new();
        let mut bytes = 0;
        for c in self.containers()? {
            if is_active(&c.state.status) {
                continue;
            }
            bytes += self
                .snapshotter()?
                .usage(&c.id)
                .map(|u| u.size)
                .unwrap_or(0);
            self.remove_files_and_row(&c, false)?;
            gone.push(c.id);
        }
        Ok((gone, bytes))
    }
}
