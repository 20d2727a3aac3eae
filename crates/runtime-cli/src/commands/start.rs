//! `start`.

use std::path::Path;

use anyhow::Result;

pub fn start(root: &Path, id: &str) -> Result<i32> {
    runtime::container::start(root, id)?;
    Ok(0)
}
