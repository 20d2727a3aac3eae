//! Rows of the `volumes` table.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Row};

use super::Db;
use crate::error::{EngineError, Result};

/// One volume. Its data lives in `<root>/volumes/<name>/_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRecord {
    pub name: String,
    pub driver: String,
    /// RFC 3339.
    pub created: String,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    /// Made for one container (`-v /data`, an image `VOLUME`): removed by `rm -v`.
    pub anonymous: bool,
}

fn row(path: &std::path::Path, r: &Row<'_>) -> rusqlite::Result<Result<VolumeRecord>> {
    let name: String = r.get(0)?;
    let labels: String = r.get(3)?;
    let options: String = r.get(4)?;
    let parse = |what: &str, s: &str| {
        serde_json::from_str(s).map_err(|e| EngineError::DbCorrupt {
            path: path.to_path_buf(),
            reason: format!("volume {name}: {what}: {e}"),
        })
    };
    let labels = match parse("labels", &labels) {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let options = match parse("options", &options) {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(VolumeRecord {
        driver: r.get(1)?,
        created: r.get(2)?,
        labels,
        options,
        anonymous: r.get(5)?,
        name,
    }))
}

impl Db {
    /// Record a volume; `false` when one of that name already exists (left as it is).
    pub fn insert_volume(&mut self, v: &VolumeRecord) -> Result<bool> {
        let n = insert_volume_in(&self.conn, v).map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    pub fn volume(&self, name: &str) -> Result<Option<VolumeRecord>> {
        let r = self
            .conn
            .query_row(
                "SELECT name, driver, created, labels, options, anonymous FROM volumes WHERE name = ?1",
                [name],
                |r| row(&self.path, r),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        r.transpose()
    }

    pub fn volumes(&self) -> Result<Vec<VolumeRecord>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT name, driver, created, labels, options, anonymous FROM volumes ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| row(&self.path, r))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.err(e))??);
        }
        Ok(out)
    }

    /// Ids of the containers that mount `name`.
    pub fn volume_users(&self, name: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT DISTINCT container_id FROM container_volumes WHERE volume = ?1")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([name], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Forget a volume (no container may still mount it: checked by the caller in the
    /// same lock, and by the foreign key).
    pub fn delete_volume(&mut self, name: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM volumes WHERE name = ?1", [name])
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// The volume insert, for use inside a caller's transaction (a container's anonymous
/// volumes are recorded with the container, in one commit).
pub(super) fn insert_volume_in(
    conn: &rusqlite::Connection,
    v: &VolumeRecord,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT OR IGNORE INTO volumes (name, driver, created, labels, options, anonymous) \
         VALUES (?1,?2,?3,?4,?5,?6)",
        params![
            v.name,
            v.driver,
            v.created,
            serde_json::to_string(&v.labels).unwrap_or_default(),
            serde_json::to_string(&v.options).unwrap_or_default(),
            v.anonymous
        ],
    )
}
