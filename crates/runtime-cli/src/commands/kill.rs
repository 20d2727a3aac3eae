//! `kill`.

use std::path::Path;

use anyhow::Result;
use runtime::container;

pub fn kill(root: &Path, id: &str, signal: &str, all: bool) -> Result<i32> {
    let sig = container::parse_signal(signal)?;
    let c = container::load(root, id)?;
    container::kill(&c, sig, all)?;
    Ok(0)
}
