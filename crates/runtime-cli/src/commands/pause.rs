//! `pause` and `resume`.

use std::path::Path;

use anyhow::Result;
use runtime::container;

pub fn pause(root: &Path, id: &str) -> Result<i32> {
    container::pause(&container::load(root, id)?)?;
    Ok(0)
}

pub fn resume(root: &Path, id: &str) -> Result<i32> {
    container::resume(&container::load(root, id)?)?;
    Ok(0)
}
