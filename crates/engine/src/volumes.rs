//! Volumes: named and anonymous data directories at `<root>/volumes/<name>/_data`,
//! outliving the containers that mount them (the `local` driver of Docker).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::db::VolumeRecord;
use crate::error::{EngineError, Result};
use crate::lock::{Held, Lock};
use crate::Engine;

/// Docker's `volume inspect` shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeInfo {
    pub created_at: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    pub mountpoint: PathBuf,
    pub name: String,
    pub options: BTreeMap<String, String>,
    pub scope: String,
}

/// What `volume create` asks for.
#[derive(Debug, Clone, Default)]
pub struct VolumeCreate {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

/// Docker's rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_name(n: &str) -> bool {
    crate::containers::names::valid_name(n)
}

impl Engine {
    /// The directory holding a volume's data.
    pub fn volume_data(&self, name: &str) -> PathBuf {
        self.root().volumes_dir().join(name).join("_data")
    }

    fn info(&self, v: VolumeRecord) -> VolumeInfo {
        VolumeInfo {
            mountpoint: self.volume_data(&v.name),
            created_at: v.created,
            driver: v.driver,
            labels: v.labels,
            name: v.name,
            options: v.options,
            scope: "local".into(),
        }
    }

    /// Creates a volume (or returns the existing one of that name, as Docker does).
    pub fn volume_create(&mut self, req: VolumeCreate) -> Result<VolumeInfo> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let driver = req.driver.unwrap_or_else(|| "local".into());
        if driver != "local" {
            return Err(EngineError::InvalidParameter(format!(
                "create {}: error looking up volume plugin {driver}: plugin \"{driver}\" not found (berth has the local driver only)",
                req.name.as_deref().unwrap_or("")
            )));
        }
        if let Some((k, _)) = req.options.iter().next() {
            return Err(EngineError::InvalidParameter(format!(
                "create {}: invalid option: {k:?} (berth's local driver takes no options yet)",
                req.name.as_deref().unwrap_or("")
            )));
        }
        let anonymous = req.name.is_none();
        let name = req.name.unwrap_or_else(crate::containers::names::new_id);
        if !valid_name(&name) {
            return Err(EngineError::InvalidParameter(format!(
                "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            )));
        }
        if let Some(v) = self.db().volume(&name)? {
            return Ok(self.info(v));
        }
        let data = self.volume_data(&name);
        std::fs::create_dir_all(&data)
            .map_err(|e| EngineError::io("create volume directory", &data, e))?;
        let rec = VolumeRecord {
            name: name.clone(),
            driver,
            created: crate::containers::now_rfc3339(),
            labels: req.labels,
            options: req.options,
            anonymous,
        };
        self.db_mut().insert_volume(&rec)?;
        self.emit(crate::events::event(
            "volume",
            "create",
            &name,
            &[("driver", "local")],
        ));
        let v = self
            .db()
            .volume(&name)?
            .ok_or(EngineError::NoSuchVolume(name))?;
        Ok(self.info(v))
    }

    pub fn volume_inspect(&self, name: &str) -> Result<VolumeInfo> {
        let v = self
            .db()
            .volume(name)?
            .ok_or_else(|| EngineError::NoSuchVolume(name.to_string()))?;
        Ok(self.info(v))
    }

    pub fn volume_list(&self) -> Result<Vec<VolumeInfo>> {
        Ok(self
            .db()
            .volumes()?
            .into_iter()
            .map(|v| self.info(v))
            .collect())
    }

    /// Removes a volume no container mounts (`force` only ignores a missing one, as Docker).
    pub fn volume_remove(&mut self, name: &str, force: bool) -> Result<()> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        if self.db().volume(name)?.is_none() {
            if force {
                return Ok(());
            }
            return Err(EngineError::NoSuchVolume(name.to_string()));
        }
        let users = self.db().volume_users(name)?;
        if !users.is_empty() {
            return Err(EngineError::ContainerConflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        self.db_mut().delete_volume(name)?;
        self.emit(crate::events::event(
            "volume",
            "destroy",
            name,
            &[("driver", "local")],
        ));
        let dir = self.root().volumes_dir().join(name);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(EngineError::io("remove volume directory", &dir, e)),
        }
    }

    /// Removes unused volumes: anonymous ones, or all with `all` (Docker ≥ 23). Returns
    /// the names and the bytes freed.
    pub fn volume_prune(&mut self, all: bool) -> Result<(Vec<String>, u64)> {
        let mut gone = Vec::new();
        let mut bytes = 0;
        for v in self.db().volumes()? {
            if !(all || v.anonymous) || !self.db().volume_users(&v.name)?.is_empty() {
                continue;
            }
            let dir = self.root().volumes_dir().join(&v.name);
            bytes += dir_size(&dir);
            self.volume_remove(&v.name, false)?;
            gone.push(v.name);
        }
        Ok((gone, bytes))
    }
}

/// Bytes allocated under `dir` (hard links counted once per link, like `du -l`).
pub(crate) fn dir_size(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => m.blocks() * 512 + dir_size(&e.path()),
            Ok(m) => m.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}
