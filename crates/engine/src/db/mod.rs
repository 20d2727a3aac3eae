//! The state database: SQLite in WAL mode at `<root>/berth.db` (DESIGN.md §4).
//!
//! Schema (after every migration below has run):
//!
//! ```text
//!  images                          image_names
//!  ┌──────────────────────────┐    ┌─────────────────────────────────────────┐
//!  │ id TEXT PK (config dgst) │◄───┤ name TEXT PK  docker.io/library/bb:1    │
//!  │ manifest_digest TEXT     │    │               or 127.0.0.1:5000/bb@sha… │
//!  │ created TEXT (RFC 3339)  │    │ image_id TEXT → images.id               │
//!  │ size INTEGER (unpacked)  │    └─────────────────────────────────────────┘
//!  │ os TEXT, arch TEXT       │
//!  │ added INTEGER (unix s)   │    image_layers                     layers
//!  └──────────────────────────┘    ┌────────────────────────┐      ┌───────────────────────┐
//!              ▲                   │ image_id → images.id   │      │ chain_id TEXT PK      │
//!              ├───────────────────┤ position INTEGER       │      │ diff_id TEXT          │
//!              │                   │ chain_id → layers ─────┼─────►│ dir TEXT (layers/hex) │
//!              │                   │ PK(image_id, position) │      │ size INTEGER          │
//!              │                   └────────────────────────┘      └───────────────────────┘
//!              │                   image_blobs
//!              └───────────────────┤ image_id, digest  PK(both): config, manifests, index,
//!                                  │ layer blobs the image holds in <root>/blobs
//! ```
//!
//! A layer's refcount is the number of `image_layers` rows naming it; a blob's is the number
//! of `image_blobs` rows. Rows are written after the files they describe exist (blobs
//! verified, layers unpacked and renamed into place), and files are removed only after the
//! transaction that dropped their last reference committed: a crash leaves at worst an
//! unreferenced file, never a row pointing at nothing. No hashing, download or fsync happens
//! inside a transaction (STYLE.md rule 10).

mod containers;
mod images;
mod migrations;
mod networks;
mod volumes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{EngineError, Result};

pub use containers::{ContainerRecord, ContainerVolume, StateRecord};
pub use images::{DeletedImage, ImageRecord, LayerRecord, NewImage};
pub use migrations::{MIGRATIONS, SCHEMA_VERSION};
pub use networks::{EndpointConfig, EndpointRecord, NetworkRecord};
pub use volumes::VolumeRecord;

/// An open state database.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Open (creating if needed) the database at `path`, switch it to WAL and bring its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| EngineError::io("create directory", dir, e))?;
        }
        let conn = Connection::open(path).map_err(|e| db_err(path, e))?;
        let mut db = Db {
            conn,
            path: path.to_path_buf(),
        };
        db.configure()?;
        migrations::migrate(&mut db.conn, &db.path, SCHEMA_VERSION)?;
        Ok(db)
    }

    fn configure(&self) -> Result<()> {
        self.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| self.err(e))?;
        // journal_mode answers with a row; pragma_update would reject that.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        self.conn
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| self.err(e))?;
        // Every `berth` command is a short process, so each close would be the last
        // connection's: a checkpoint (two fsyncs) and the WAL file deleted, to be created
        // again — with a directory fsync — by the next command. Keep the WAL between
        // processes instead. Same crash guarantees (WAL, synchronous=NORMAL): the database
        // stays consistent.
        //
        // But a WAL kept this way is never started over: only a writer that knows every
        // frame was copied back restarts it, and the first connection of each command
        // rebuilds the WAL index from the file, forgetting what was copied. The WAL would
        // grow without end, each command reading all of it at its start (~1 µs a page) and
        // SQLite's automatic checkpoint copying all of it again, with three fsyncs, at
        // every commit once it passed the threshold. So a command that leaves more than
        // `WAL_TRUNCATE_AT` behind empties it as it closes (`Drop`).
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the file is at.
    pub fn schema_version(&self) -> Result<i64> {
        migrations::version(&self.conn).map_err(|e| self.err(e))
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> EngineError {
        db_err(&self.path, e)
    }
}

/// The WAL size at which a closing connection copies the WAL back and truncates it: 128
/// pages, ~15 commands' worth of writes.
const WAL_TRUNCATE_AT: u64 = 128 * 4096;

impl Drop for Db {
    fn drop(&mut self) {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() >= WAL_TRUNCATE_AT) {
            // Another command reading or writing: leave it for a later one, never wait.
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let r = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                });
            if let Err(e) = r {
                tracing::debug!("checkpoint of {}: {e}", self.path.display());
            }
        }
    }
}

pub(crate) fn db_err(path: &Path, source: rusqlite::Error) -> EngineError {
    EngineError::Db {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_len(db: &Path) -> u64 {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// Each `berth` command is one connection that opens, writes and closes: the WAL must
    /// not grow with the number of commands (it did, and every command then copied all of
    /// it back with three fsyncs).
    #[test]
    fn the_wal_stays_bounded_over_many_short_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("berth.db");
        let mut largest = 0;
        for i in 0..400 {
            let db = Db::open(&path).unwrap();
            db.conn
                .execute("CREATE TABLE IF NOT EXISTS t(i INTEGER, x TEXT)", [])
                .unwrap();
            db.conn
                .execute(
                    "INSERT INTO t VALUES (?1, ?2)",
                    rusqlite::params![i, "x".repeat(3000)],
                )
                .unwrap();
            drop(db);
            largest = largest.max(wal_len(&path));
        }
        assert!(
            largest < 2 * WAL_TRUNCATE_AT,
            "WAL reached {largest} bytes over 400 connections"
        );
        let db = Db::open(&path).unwrap();
        let n: i64 = db
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 400, "rows lost by the truncating checkpoints");
    }
}
