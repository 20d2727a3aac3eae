//! One exclusive lock (`flock` on `<root>/images.lock`) around every change of blobs, layer
//! directories and image rows, so that two `berth` processes never race: a removal cannot
//! delete a blob or layer a concurrent pull has just found present and is about to use, and
//! leftovers of an interrupted pull (ingest temp files, `.tmp-` layer dirs) can be cleared
//! safely by whoever holds the lock. Readers (`images`, `inspect`) take no lock: they read
//! committed DB rows only.
//!
//! Cost: pulls into one root run one after the other. Leases per pull (containerd's model)
//! would lift that; not done yet.

use std::fs::{File, OpenOptions};

use rustix::fs::{flock, FlockOperation};

use crate::error::{EngineError, Result};
use crate::root::Root;

/// Held until dropped (closing the file releases the lock).
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
}

impl StoreLock {
    pub(crate) fn exclusive(root: &Root) -> Result<Self> {
        let path = root.dir().join("images.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::io("open", &path, e))?;
        flock(&file, FlockOperation::LockExclusive)
            .map_err(|e| EngineError::io("lock", &path, e.into()))?;
        Ok(StoreLock { _file: file })
    }
}
