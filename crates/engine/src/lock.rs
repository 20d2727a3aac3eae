//! Advisory locks between `berth` processes (`flock` on a file under the state root).
//!
//! - `images.lock`, exclusive around every change of blobs, layer directories and image
//!   rows: a removal cannot delete a blob or layer a concurrent pull has just found present
//!   and is about to use, and leftovers of an interrupted pull (ingest temp files, `.tmp-`
//!   layer dirs) can be cleared safely by whoever holds it. Readers (`images`, `inspect`)
//!   take no lock: they read committed DB rows only. Cost: pulls into one root run one
//!   after the other (leases per pull, containerd's model, would lift that; not done yet).
//! - `containers.lock`, shared by every multi-step container or volume operation that makes
//!   or removes files before or after its database row (`create`, `start`, `rm`, `volume
//!   create`/`rm`), exclusive for `system check`: the check must not take a half-made
//!   container for an orphan. Shared holders run in parallel (nesting a shared lock in the
//!   same process is fine: flock never prefers a waiting exclusive locker).
//!
//! A killed holder's lock goes with its file descriptor: nothing to clean up.

use std::fs::{File, OpenOptions};

use rustix::fs::{flock, FlockOperation};

use crate::error::{EngineError, Result};
use crate::root::Root;

/// Which lock file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock {
    Images,
    Containers,
}

impl Lock {
    fn file_name(self) -> &'static str {
        match self {
            Lock::Images => "images.lock",
            Lock::Containers => "containers.lock",
        }
    }
}

/// Held until dropped (closing the file releases the lock).
#[derive(Debug)]
pub(crate) struct Held {
    _file: File,
}

impl Held {
    pub(crate) fn exclusive(root: &Root, which: Lock) -> Result<Self> {
        Self::take(root, which, FlockOperation::LockExclusive)
    }

    pub(crate) fn shared(root: &Root, which: Lock) -> Result<Self> {
        Self::take(root, which, FlockOperation::LockShared)
    }

    fn take(root: &Root, which: Lock, op: FlockOperation) -> Result<Self> {
        let path = root.dir().join(which.file_name());
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::io("open", &path, e))?;
        flock(&file, op).map_err(|e| EngineError::io("lock", &path, e.into()))?;
        Ok(Held { _file: file })
    }
}
