//! `diff`: the changes of a container's writable layer against its image
//! (`storage::diff::snapshot_changes`), `A`/`C`/`D` sorted by path as Docker prints them.

use storage::Change;

use crate::error::{EngineError, Result};
use crate::Engine;

impl Engine {
    /// The container's changes, sorted by path.
    pub fn container_changes(&mut self, id_or_name: &str) -> Result<Vec<Change>> {
        let c = self.find_container(id_or_name)?;
        let sn = self.snapshotter()?;
        storage::diff::snapshot_changes(sn, &c.id).map_err(|e| EngineError::Storage {
            layer: format!("container {}", c.id),
            source: e,
        })
    }
}
