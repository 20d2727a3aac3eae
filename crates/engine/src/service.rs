//! [`Engine`]: one state root opened — the image service, the state database and the
//! snapshotter — with the container and volume operations on top (`containers::*`,
//! `volumes`). Both front ends (CLI, API server) hold one of these per request.

use std::cell::OnceCell;
use std::path::Path;

use storage::Snapshotter;

use crate::db::Db;
use crate::error::{EngineError, Result};
use crate::images::ImageService;
use crate::root::Root;

pub struct Engine {
    images: ImageService,
    snapshotter: OnceCell<Box<dyn Snapshotter>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", self.images.root())
            .finish()
    }
}

impl Engine {
    /// Opens the state under `root`, creating what is missing.
    pub fn open(root: Root) -> Result<Self> {
        Ok(Engine {
            images: ImageService::open(root)?,
            snapshotter: OnceCell::new(),
        })
    }

    pub fn root(&self) -> &Root {
        self.images.root()
    }
    pub fn images(&self) -> &ImageService {
        &self.images
    }
    pub fn images_mut(&mut self) -> &mut ImageService {
        &mut self.images
    }
    pub fn db(&self) -> &Db {
        self.images.db()
    }
    pub(crate) fn db_mut(&mut self) -> &mut Db {
        self.images.db_mut()
    }

    /// The snapshotter (overlay, or vfs where overlay cannot mount), probed on first use.
    pub fn snapshotter(&self) -> Result<&dyn Snapshotter> {
        if let Some(s) = self.snapshotter.get() {
            return Ok(s.as_ref());
        }
        let dir = self.root().snapshots_dir();
        let s = pick_snapshotter(&dir)?;
        Ok(self.snapshotter.get_or_init(|| s).as_ref())
    }
}

/// The driver already in use under `dir` (so a root never switches drivers between runs),
/// else the probe's choice.
fn pick_snapshotter(dir: &Path) -> Result<Box<dyn Snapshotter>> {
    let err = |e| EngineError::Storage {
        layer: dir.display().to_string(),
        source: e,
    };
    if dir.join("overlay").is_dir() {
        return Ok(Box::new(
            storage::OverlaySnapshotter::new(&dir.join("overlay")).map_err(err)?,
        ));
    }
    if dir.join("vfs").is_dir() {
        return Ok(Box::new(
            storage::VfsSnapshotter::new(&dir.join("vfs")).map_err(err)?,
        ));
    }
    storage::detect(dir).map_err(err)
}
