//! `delete`.

use std::path::Path;

use anyhow::Result;

pub fn delete(root: &Path, id: &str, force: bool) -> Result<i32> {
    match runtime::container::delete(root, id, force) {
        // runc: deleting a container that does not exist with --force is not an error.
        Err(runtime::RuntimeError::NotFound(_)) if force => Ok(0),
        r => r.map(|()| 0).map_err(Into::into),
    }
}
