//! Rows of the container tables: one short transaction per change.

use rusqlite::{params, OptionalExtension, Row};

use super::Db;
use crate::containers::{ContainerConfig, HostConfig};
use crate::error::{EngineError, Result};

/// One container (`containers` row).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRecord {
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    pub image_id: String,
    /// RFC 3339 with nanoseconds.
    pub created: String,
    /// The effective config (image defaults merged in).
    pub config: ContainerConfig,
    pub host_config: HostConfig,
    pub state: StateRecord,
}

/// The last state the engine recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateRecord {
    /// Docker's `State.Status`: created, running, paused, restarting, removing, exited, dead.
    pub status: String,
    pub pid: i32,
    pub exit_code: i32,
    pub started_at: String,
    pub finished_at: String,
    pub restart_count: i64,
    pub error: String,
}

/// A volume a container mounts (`container_volumes` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerVolume {
    pub volume: String,
    pub destination: String,
}

const COLS: &str = "id, name, image_id, created, config, host_config, status, pid, exit_code, \
                    started_at, finished_at, restart_count, error";

fn row(path: &std::path::Path, r: &Row<'_>) -> rusqlite::Result<Result<ContainerRecord>> {
    let id: String = r.get(0)?;
    let config: String = r.get(4)?;
    let host: String = r.get(5)?;
    let corrupt = |what: &str, e: serde_json::Error| EngineError::DbCorrupt {
        path: path.to_path_buf(),
        reason: format!("container {id}: {what}: {e}"),
    };
    let config = match serde_json::from_str(&config) {
        Ok(c) => c,
        Err(e) => return Ok(Err(corrupt("config", e))),
    };
    let host_config = match serde_json::from_str(&host) {
        Ok(c) => c,
        Err(e) => return Ok(Err(corrupt("host config", e))),
    };
    Ok(Ok(ContainerRecord {
        name: r.get(1)?,
        image_id: r.get(2)?,
        created: r.get(3)?,
        config,
        host_config,
        state: StateRecord {
            status: r.get(6)?,
            pid: r.get(7)?,
            exit_code: r.get(8)?,
            started_at: r.get(9)?,
            finished_at: r.get(10)?,
            restart_count: r.get(11)?,
            error: r.get(12)?,
        },
        id,
    }))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // Serialising these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(v).unwrap_or_default()
}

impl Db {
    /// Record a new container, the anonymous volumes made for it (`new_volumes`) and the
    /// volumes it mounts, in one transaction. A taken name is [`EngineError::NameInUse`].
    pub fn insert_container(
        &mut self,
        c: &ContainerRecord,
        new_volumes: &[super::VolumeRecord],
        volumes: &[ContainerVolume],
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |e| super::db_err(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let taken: Option<String> = tx
            .query_row(
                "SELECT id FROM containers WHERE name = ?1",
                [&c.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if let Some(other) = taken {
            return Err(EngineError::NameInUse {
                name: c.name.clone(),
                id: other,
            });
        }
        tx.execute(
            &format!("INSERT INTO containers ({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"),
            params![
                c.id,
                c.name,
                c.image_id,
                c.created,
                json(&c.config),
                json(&c.host_config),
                c.state.status,
                c.state.pid,
                c.state.exit_code,
                c.state.started_at,
                c.state.finished_at,
                c.state.restart_count,
                c.state.error
            ],
        )
        .map_err(err)?;
        for v in new_volumes {
            super::volumes::insert_volume_in(&tx, v).map_err(err)?;
        }
        for v in volumes {
            tx.execute(
                "INSERT INTO container_volumes (container_id, volume, destination) VALUES (?1,?2,?3)",
                params![c.id, v.volume, v.destination],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn containers_where(&self, clause: &str, arg: &str) -> Result<Vec<ContainerRecord>> {
        let sql = format!("SELECT {COLS} FROM containers {clause} ORDER BY created DESC, id");
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let params: &[&dyn rusqlite::ToSql] = if clause.is_empty() { &[] } else { &[&arg] };
        let rows = st
            .query_map(params, |r| row(&self.path, r))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.err(e))??);
        }
        Ok(out)
    }

    /// All containers, newest first.
    pub fn containers(&self) -> Result<Vec<ContainerRecord>> {
        self.containers_where("", "")
    }

    /// The container with this exact id or name.
    pub fn container(&self, id_or_name: &str) -> Result<Option<ContainerRecord>> {
        let name = id_or_name.strip_prefix('/').unwrap_or(id_or_name);
        let mut v = self.containers_where("WHERE id = ?1 OR name = ?1", name)?;
        // An id match wins over a name match (Docker's order: full id, name, id prefix).
        v.sort_by_key(|c| c.id != name);
        Ok(v.into_iter().next())
    }

    /// Containers whose id starts with `prefix` (hex only).
    pub fn containers_with_prefix(&self, prefix: &str) -> Result<Vec<ContainerRecord>> {
        if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) || prefix.is_empty() {
            return Ok(Vec::new());
        }
        self.containers_where("WHERE id LIKE ?1 || '%'", prefix)
    }

    /// Whether another container was set to join one of this container's namespaces
    /// (`--network container:ID`, `--pid container:ID`…), whatever its state.
    pub fn namespaces_shared(&self, id: &str) -> Result<bool> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM containers WHERE id != ?1 \
                 AND instr(host_config, 'container:' || ?1) > 0",
                params![id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Ids of containers made from `image_id`.
    pub fn containers_of_image(&self, image_id: &str) -> Result<Vec<String>> {
        Ok(self
            .containers_where("WHERE image_id = ?1", image_id)?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    /// Replace a container's recorded state.
    pub fn set_container_state(&mut self, id: &str, s: &StateRecord) -> Result<()> {
        self.conn
            .execute(
                "UPDATE containers SET status=?2, pid=?3, exit_code=?4, started_at=?5, \
                 finished_at=?6, restart_count=?7, error=?8 WHERE id=?1",
                params![
                    id,
                    s.status,
                    s.pid,
                    s.exit_code,
                    s.started_at,
                    s.finished_at,
                    s.restart_count,
                    s.error
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Replace a container's host config (`update`).
    pub fn set_host_config(&mut self, id: &str, h: &HostConfig) -> Result<()> {
        self.conn
            .execute(
                "UPDATE containers SET host_config=?2 WHERE id=?1",
                params![id, json(h)],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Rename; a taken name is [`EngineError::NameInUse`].
    pub fn rename_container(&mut self, id: &str, name: &str) -> Result<()> {
        let r = self.conn.execute(
            "UPDATE containers SET name=?2 WHERE id=?1",
            params![id, name],
        );
        match r {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                let other = self.container(name)?.map(|c| c.id).unwrap_or_default();
                Err(EngineError::NameInUse {
                    name: name.to_string(),
                    id: other,
                })
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// The volumes a container mounts.
    pub fn container_volumes(&self, id: &str) -> Result<Vec<ContainerVolume>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT volume, destination FROM container_volumes WHERE container_id = ?1 ORDER BY destination",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([id], |r| {
                Ok(ContainerVolume {
                    volume: r.get(0)?,
                    destination: r.get(1)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Forget a container (its volume rows go with it).
    pub fn delete_container(&mut self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM containers WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
