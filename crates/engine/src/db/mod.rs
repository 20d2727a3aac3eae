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
        // But the first connection of a process with no other open rebuilds the WAL index
        // by reading the whole WAL: ~1 µs a page, 0.8 ms at 3.4 MB, at the start of every
        // command. So the automatic checkpoint comes every 128 pages (512 KB) instead of
        // SQLite's 1000: the next writer then starts the WAL over and recovery reads at
        // most that. A checkpoint of that size costs two fsyncs, ~0.5 ms here, once every
        // ~15 commands.
        let _pages: i64 = self
            .conn
            .query_row("PRAGMA wal_autocheckpoint=128", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
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

pub(crate) fn db_err(path: &Path, source: rusqlite::Error) -> EngineError {
    EngineError::Db {
        path: path.to_path_buf(),
        source,
    }
}
