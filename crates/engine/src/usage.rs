//! `system df`: what images, containers and volumes hold on disk, and how much of it
//! nothing uses (Docker's TOTAL / ACTIVE / SIZE / RECLAIMABLE).

use std::collections::BTreeSet;

use crate::containers::state::is_active;
use crate::error::Result;
use crate::Engine;

/// One row of `system df`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub total: usize,
    pub active: usize,
    pub size: u64,
    pub reclaimable: u64,
}

/// The rows of `system df`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskUsage {
    pub images: Usage,
    pub containers: Usage,
    pub volumes: Usage,
}

impl Engine {
    pub fn disk_usage(&mut self) -> Result<DiskUsage> {
        let containers = self.containers()?;
        let used_images: BTreeSet<&str> = containers.iter().map(|c| c.image_id.as_str()).collect();
        let mut du = DiskUsage::default();

        let (count, bytes) = self.images().disk_usage()?;
        let list = self.images().list()?;
        du.images.total = count;
        du.images.size = bytes;
        du.images.active = list
            .iter()
            .filter(|i| used_images.contains(i.id.as_str()))
            .count();
        // Layers shared with a used image are not reclaimable; an upper bound from the
        // unused images' own sizes, capped at the total.
        du.images.reclaimable = list
            .iter()
            .filter(|i| !used_images.contains(i.id.as_str()))
            .map(|i| i.size)
            .sum::<u64>()
            .min(bytes);

        du.containers.total = containers.len();
        for c in &containers {
            let size = self
                .snapshotter()?
                .usage(&c.id)
                .map(|u| u.size)
                .unwrap_or(0);
            du.containers.size += size;
            if is_active(&c.state.status) {
                du.containers.active += 1;
            } else {
                du.containers.reclaimable += size;
            }
        }

        for v in self.db().volumes()? {
            let size = crate::volumes::dir_size(&self.root().volumes_dir().join(&v.name));
            du.volumes.total += 1;
            du.volumes.size += size;
            if self.db().volume_users(&v.name)?.is_empty() {
                du.volumes.reclaimable += size;
            } else {
                du.volumes.active += 1;
            }
        }
        Ok(du)
    }
}
