//! Rows of the image tables: one short transaction per change.

use rusqlite::{params, OptionalExtension, Row};

use super::Db;
use crate::error::Result;

/// One image (`images` row). `id` is the config digest (`sha256:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub manifest_digest: String,
    /// The config's `created`, as written there (RFC 3339).
    pub created: Option<String>,
    /// Bytes of unpacked layer content.
    pub size: u64,
    pub os: String,
    pub arch: String,
    /// When this host got the image (unix seconds).
    pub added: i64,
}

/// One unpacked layer (`layers` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRecord {
    pub chain_id: String,
    pub diff_id: String,
    /// Relative to the state root: `layers/<hex of chain id>`.
    pub dir: String,
    pub size: u64,
}

/// Everything one pull or import records, in one transaction.
#[derive(Debug, Clone)]
pub struct NewImage {
    pub record: ImageRecord,
    /// Full names (`docker.io/library/busybox:latest`, `host/repo@sha256:…`), moved to this
    /// image from any image that had them.
    pub names: Vec<String>,
    /// Bottom first.
    pub layers: Vec<LayerRecord>,
    /// Every blob the image holds in the store.
    pub blobs: Vec<String>,
}

/// What deleting an image left without any reference: remove these files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedImage {
    pub layers: Vec<LayerRecord>,
    pub blobs: Vec<String>,
}

fn image_row(r: &Row<'_>) -> rusqlite::Result<ImageRecord> {
    Ok(ImageRecord {
        id: r.get(0)?,
        manifest_digest: r.get(1)?,
        created: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        os: r.get(4)?,
        arch: r.get(5)?,
        added: r.get(6)?,
    })
}

fn layer_row(r: &Row<'_>) -> rusqlite::Result<LayerRecord> {
    Ok(LayerRecord {
        chain_id: r.get(0)?,
        diff_id: r.get(1)?,
        dir: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
    })
}

const IMAGE_COLS: &str = "id, manifest_digest, created, size, os, arch, added";

impl Db {
    /// Record an image with its names, layers and blobs. Returns the ids of other images
    /// that lost a name to it.
    pub fn insert_image(&mut self, img: &NewImage) -> Result<Vec<String>> {
        let path = self.path.clone();
        let e = |e| super::db_err(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let r = &img.record;
        tx.execute(
            "INSERT INTO images (id, manifest_digest, created, size, os, arch, added)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest",
            params![
                r.id,
                r.manifest_digest,
                r.created,
                r.size as i64,
                r.os,
                r.arch,
                r.added
            ],
        )
        .map_err(e)?;
        for (pos, l) in img.layers.iter().enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO layers (chain_id, diff_id, dir, size) VALUES (?1, ?2, ?3, ?4)",
                params![l.chain_id, l.diff_id, l.dir, l.size as i64],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT OR REPLACE INTO image_layers (image_id, position, chain_id) VALUES (?1, ?2, ?3)",
                params![r.id, pos as i64, l.chain_id],
            )
            .map_err(e)?;
        }
        for b in &img.blobs {
            tx.execute(
                "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?1, ?2)",
                params![r.id, b],
            )
            .map_err(e)?;
        }
        let mut losers = Vec::new();
        for n in &img.names {
            let old: Option<String> = tx
                .query_row(
                    "SELECT image_id FROM image_names WHERE name = ?1",
                    [n],
                    |row| row.get(0),
                )
                .optional()
                .map_err(e)?;
            if let Some(old) = old.filter(|o| o != &r.id) {
                losers.push(old);
            }
            tx.execute(
                "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?1, ?2)",
                params![n, r.id],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        losers.dedup();
        Ok(losers)
    }

    pub fn image(&self, id: &str) -> Result<Option<ImageRecord>> {
        self.conn
            .query_row(
                &format!("SELECT {IMAGE_COLS} FROM images WHERE id = ?1"),
                [id],
                image_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All images, newest first.
    pub fn images(&self) -> Result<Vec<ImageRecord>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {IMAGE_COLS} FROM images ORDER BY added DESC, id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], image_row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Ids of images whose hex part starts with `prefix` (Docker's short ids).
    pub fn ids_with_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM images WHERE substr(id, 8) LIKE ?1 || '%' ESCAPE '\\'")
            .map_err(|e| self.err(e))?;
        let escaped = prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let rows = st
            .query_map([escaped], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// The image a full name points at.
    pub fn resolve_name(&self, name: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT image_id FROM image_names WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The names of one image, sorted.
    pub fn names_of(&self, id: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT name FROM image_names WHERE image_id = ?1 ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([id], |r| r.get(0)).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Point `name` at image `id` (Docker's tag: the name moves if another image had it).
    pub fn set_name(&mut self, name: &str, id: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?1, ?2)",
                params![name, id],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Remove one name; false when it was not there.
    pub fn remove_name(&mut self, name: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM image_names WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// The layers of an image, bottom first.
    pub fn layers_of(&self, id: &str) -> Result<Vec<LayerRecord>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT l.chain_id, l.diff_id, l.dir, l.size FROM image_layers il
                 JOIN layers l ON l.chain_id = il.chain_id
                 WHERE il.image_id = ?1 ORDER BY il.position",
            )
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([id], layer_row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    pub fn layer(&self, chain_id: &str) -> Result<Option<LayerRecord>> {
        self.conn
            .query_row(
                "SELECT chain_id, diff_id, dir, size FROM layers WHERE chain_id = ?1",
                [chain_id],
                layer_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Bytes of all unpacked layers, each counted once however many images share it.
    pub fn layers_size(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT coalesce(sum(size), 0) FROM layers", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// Every blob digest and layer dir some image holds (for the orphan sweep of prune).
    pub fn referenced(
        &self,
    ) -> Result<(
        std::collections::HashSet<String>,
        std::collections::HashSet<String>,
    )> {
        let collect = |sql: &str| -> Result<std::collections::HashSet<String>> {
            let mut st = self.conn.prepare(sql).map_err(|e| self.err(e))?;
            let rows = st.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| self.err(e))
        };
        Ok((
            collect("SELECT DISTINCT digest FROM image_blobs")?,
            collect("SELECT dir FROM layers")?,
        ))
    }

    /// Delete an image and its names; returns the layers and blobs no other image holds
    /// (their rows are gone; the caller removes the files after this commit).
    pub fn delete_image(&mut self, id: &str) -> Result<DeletedImage> {
        let path = self.path.clone();
        let e = |e| super::db_err(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let chains: Vec<String> = {
            let mut st = tx
                .prepare("SELECT DISTINCT chain_id FROM image_layers WHERE image_id = ?1")
                .map_err(e)?;
            let rows = st.query_map([id], |r| r.get(0)).map_err(e)?;
            rows.collect::<rusqlite::Result<_>>().map_err(e)?
        };
        let blobs: Vec<String> = {
            let mut st = tx
                .prepare("SELECT digest FROM image_blobs WHERE image_id = ?1 ORDER BY digest")
                .map_err(e)?;
            let rows = st.query_map([id], |r| r.get(0)).map_err(e)?;
            rows.collect::<rusqlite::Result<_>>().map_err(e)?
        };
        for table in ["image_names", "image_layers", "image_blobs"] {
            tx.execute(&format!("DELETE FROM {table} WHERE image_id = ?1"), [id])
                .map_err(e)?;
        }
        tx.execute("DELETE FROM images WHERE id = ?1", [id])
            .map_err(e)?;
        let mut out = DeletedImage::default();
        for c in chains {
            let refs: i64 = tx
                .query_row(
                    "SELECT count(*) FROM image_layers WHERE chain_id = ?1",
                    [&c],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if refs == 0 {
                let l = tx
                    .query_row(
                        "SELECT chain_id, diff_id, dir, size FROM layers WHERE chain_id = ?1",
                        [&c],
                        layer_row,
                    )
                    .optional()
                    .map_err(e)?;
                tx.execute("DELETE FROM layers WHERE chain_id = ?1", [&c])
                    .map_err(e)?;
                out.layers.extend(l);
            }
        }
        for b in blobs {
            let refs: i64 = tx
                .query_row(
                    "SELECT count(*) FROM image_blobs WHERE digest = ?1",
                    [&b],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if refs == 0 {
                out.blobs.push(b);
            }
        }
        tx.commit().map_err(e)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str) -> ImageRecord {
        ImageRecord {
            id: id.into(),
            manifest_digest: format!("{id}-m"),
            created: None,
            size: 10,
            os: "linux".into(),
            arch: "amd64".into(),
            added: 1,
        }
    }
    fn layer(c: &str) -> LayerRecord {
        LayerRecord {
            chain_id: c.into(),
            diff_id: c.into(),
            dir: format!("layers/{c}"),
            size: 5,
        }
    }

    #[test]
    fn shared_layers_and_blobs_survive_until_the_last_image_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open(&dir.path().join("berth.db")).unwrap();
        db.insert_image(&NewImage {
            record: rec("sha256:aa"),
            names: vec!["docker.io/library/a:latest".into()],
            layers: vec![layer("sha256:l1"), layer("sha256:l2")],
            blobs: vec!["sha256:b1".into(), "sha256:shared".into()],
        })
        .unwrap();
        let losers = db
            .insert_image(&NewImage {
                record: rec("sha256:bb"),
                names: vec![
                    "docker.io/library/a:latest".into(),
                    "docker.io/library/b:1".into(),
                ],
                layers: vec![layer("sha256:l1")],
                blobs: vec!["sha256:shared".into()],
            })
            .unwrap();
        assert_eq!(losers, ["sha256:aa"]);
        assert!(db.names_of("sha256:aa").unwrap().is_empty());
        assert_eq!(
            db.resolve_name("docker.io/library/b:1").unwrap().as_deref(),
            Some("sha256:bb")
        );
        assert_eq!(db.ids_with_prefix("b").unwrap(), ["sha256:bb"]);
        assert_eq!(db.layers_of("sha256:aa").unwrap().len(), 2);

        let gone = db.delete_image("sha256:aa").unwrap();
        assert_eq!(gone.layers, [layer("sha256:l2")]);
        assert_eq!(gone.blobs, ["sha256:b1"]);
        assert!(db.layer("sha256:l1").unwrap().is_some());
        let gone = db.delete_image("sha256:bb").unwrap();
        assert_eq!(gone.layers, [layer("sha256:l1")]);
        assert_eq!(gone.blobs, ["sha256:shared"]);
        assert!(db.images().unwrap().is_empty());
        assert_eq!(db.schema_version().unwrap(), crate::db::SCHEMA_VERSION);
    }
}
