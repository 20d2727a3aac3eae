//! `export`: the container's root filesystem (image layers plus writable layer, no
//! volumes) as one tar, written by `storage::diff::export_tree` from inside the snapshot
//! mounted read-only in a private mount namespace (`rootfs_access`, [`View::Rootfs`]).

use std::io::Write;

use super::rootfs_access::View;
use crate::error::{EngineError, Result};
use crate::Engine;

impl Engine {
    /// Writes the container's filesystem as a tar into `out`.
    pub fn container_export(
        &mut self,
        id_or_name: &str,
        out: &mut (dyn Write + Send),
    ) -> Result<()> {
        let c = self.container(id_or_name)?;
        let id = c.id.clone();
        self.with_container_root(&c, View::Rootfs, move |r| {
            let w =
                storage::diff::export_tree(r.path(), out).map_err(|e| EngineError::Storage {
                    layer: format!("container {id}"),
                    source: e,
                })?;
            w.flush().map_err(|e| EngineError::io("write", "export", e))
        })
    }
}
