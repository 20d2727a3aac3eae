//! The ordered list of schema migrations. Entry `i` brings a database from version `i` to
//! `i + 1` (`PRAGMA user_version`); an entry is never edited once released, only appended.

use std::path::Path;

use rusqlite::Connection;

use super::db_err;
use crate::error::{EngineError, Result};

/// Migrations in order; the schema version is their count.
pub const MIGRATIONS: &[&str] = &[
    // 1: images and their names (tags and digest references).
    "CREATE TABLE images (
        id              TEXT PRIMARY KEY,
        manifest_digest TEXT NOT NULL,
        created         TEXT,
        size            INTEGER NOT NULL,
        os              TEXT NOT NULL,
        arch            TEXT NOT NULL,
        added           INTEGER NOT NULL
     );
     CREATE TABLE image_names (
        name     TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id)
     );
     CREATE INDEX image_names_by_image ON image_names(image_id);",
    // 2: unpacked layers, refcounted through image_layers; blobs through image_blobs.
    "CREATE TABLE layers (
        chain_id TEXT PRIMARY KEY,
        diff_id  TEXT NOT NULL,
        dir      TEXT NOT NULL,
        size     INTEGER NOT NULL
     );
     CREATE TABLE image_layers (
        image_id TEXT NOT NULL REFERENCES images(id),
        position INTEGER NOT NULL,
        chain_id TEXT NOT NULL REFERENCES layers(chain_id),
        PRIMARY KEY (image_id, position)
     );
     CREATE INDEX image_layers_by_layer ON image_layers(chain_id);
     CREATE TABLE image_blobs (
        image_id TEXT NOT NULL REFERENCES images(id),
        digest   TEXT NOT NULL,
        PRIMARY KEY (image_id, digest)
     );
     CREATE INDEX image_blobs_by_digest ON image_blobs(digest);",
    // 3: containers, their volumes and mounts. `config`/`host_config` hold Docker's
    // `Config`/`HostConfig` JSON; the state columns are the last state the engine saw (the
    // monitor's files are the truth while it runs; see containers::state).
    "CREATE TABLE containers (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        image_id      TEXT NOT NULL,
        created       TEXT NOT NULL,
        config        TEXT NOT NULL,
        host_config   TEXT NOT NULL,
        status        TEXT NOT NULL,
        pid           INTEGER NOT NULL DEFAULT 0,
        exit_code     INTEGER NOT NULL DEFAULT 0,
        started_at    TEXT NOT NULL DEFAULT '',
        finished_at   TEXT NOT NULL DEFAULT '',
        restart_count INTEGER NOT NULL DEFAULT 0,
        error         TEXT NOT NULL DEFAULT ''
     );
     CREATE INDEX containers_by_image ON containers(image_id);
     CREATE TABLE volumes (
        name       TEXT PRIMARY KEY,
        driver     TEXT NOT NULL,
        created    TEXT NOT NULL,
        labels     TEXT NOT NULL,
        options    TEXT NOT NULL,
        anonymous  INTEGER NOT NULL
     );
     CREATE TABLE container_volumes (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        volume       TEXT NOT NULL REFERENCES volumes(name),
        destination  TEXT NOT NULL,
        PRIMARY KEY (container_id, destination)
     );
     CREATE INDEX container_volumes_by_volume ON container_volumes(volume);",
    // 4: networks (bridge device, IPv4 addressing, Docker's options and labels) and the
    // endpoints of running containers on them: one IP per (network, address); the
    // networks a container is connected to besides its `NetworkMode` one, and what
    // `--ip`/`--network-alias` asked for on each.
    "CREATE TABLE networks (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL UNIQUE,
        driver    TEXT NOT NULL,
        subnet    TEXT NOT NULL,
        gateway   TEXT NOT NULL,
        ip_range  TEXT NOT NULL,
        bridge    TEXT NOT NULL,
        options   TEXT NOT NULL,
        labels    TEXT NOT NULL,
        created   TEXT NOT NULL,
        internal  INTEGER NOT NULL
     );
     CREATE TABLE endpoints (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        network_id   TEXT NOT NULL REFERENCES networks(id),
        endpoint_id  TEXT NOT NULL,
        ip           TEXT NOT NULL,
        mac          TEXT NOT NULL,
        aliases      TEXT NOT NULL,
        ports        TEXT NOT NULL,
        PRIMARY KEY (container_id, network_id),
        UNIQUE (network_id, ip)
     );
     CREATE INDEX endpoints_by_network ON endpoints(network_id);
     CREATE TABLE endpoint_configs (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        network_id   TEXT NOT NULL,
        ipv4         TEXT NOT NULL,
        aliases      TEXT NOT NULL,
        PRIMARY KEY (container_id, network_id)
     );",
];

/// The version a database has after all migrations.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Apply the migrations from the file's version up to `target`, each in its own transaction
/// together with the version bump.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, target: i64) -> Result<()> {
    let found = version(conn).map_err(|e| db_err(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(EngineError::DbTooNew {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let to = i as i64 + 1;
        if to <= found || to > target {
            continue;
        }
        // Immediate: the write lock first, then the version read again under it, so two
        // processes opening a new root at once never both apply a migration.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_err(path, e))?;
        if version(&tx).map_err(|e| db_err(path, e))? >= to {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| db_err(path, e))?;
        tx.pragma_update(None, "user_version", to)
            .map_err(|e| db_err(path, e))?;
        tx.commit().map_err(|e| db_err(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn at(target: i64) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, Path::new(":memory:"), target).unwrap();
        assert_eq!(version(&c).unwrap(), target);
        c
    }

    #[test]
    fn migration_1_images_and_names() {
        let c = at(1);
        assert_eq!(tables(&c), ["image_names", "images"]);
        c.execute(
            "INSERT INTO images VALUES ('sha256:a','sha256:m',NULL,1,'linux','amd64',0)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO image_names VALUES ('docker.io/library/busybox:latest','sha256:a')",
            [],
        )
        .unwrap();
        // A name is unique: tagging moves it, never duplicates it.
        assert!(c
            .execute(
                "INSERT INTO image_names VALUES ('docker.io/library/busybox:latest','sha256:a')",
                [],
            )
            .is_err());
    }

    #[test]
    fn migration_2_layers_keeps_version_1_rows() {
        let mut c = at(1);
        c.execute(
            "INSERT INTO images VALUES ('sha256:a','sha256:m',NULL,1,'linux','amd64',0)",
            [],
        )
        .unwrap();
        migrate(&mut c, Path::new(":memory:"), 2).unwrap();
        assert_eq!(version(&c).unwrap(), 2);
        assert_eq!(
            tables(&c),
            [
                "image_blobs",
                "image_layers",
                "image_names",
                "images",
                "layers"
            ]
        );
        let n: i64 = c
            .query_row("SELECT count(*) FROM images", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        c.execute(
            "INSERT INTO layers VALUES ('sha256:c','sha256:d','layers/c',5)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO image_layers VALUES ('sha256:a',0,'sha256:c')",
            [],
        )
        .unwrap();
        c.execute("INSERT INTO image_blobs VALUES ('sha256:a','sha256:c')", [])
            .unwrap();
    }

    #[test]
    fn newer_file_is_refused_and_rerun_is_a_no_op() {
        let mut c = at(SCHEMA_VERSION);
        migrate(&mut c, Path::new(":memory:"), SCHEMA_VERSION).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut c, Path::new(":memory:"), SCHEMA_VERSION),
            Err(EngineError::DbTooNew { .. })
        ));
    }
}
