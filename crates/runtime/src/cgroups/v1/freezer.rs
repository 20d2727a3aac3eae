//! v1 freezer: freezer.state FROZEN / THAWED, waiting for the transition to finish.

use std::path::Path;
use std::time::Duration;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;

const STATE: &str = "freezer.state";

pub(crate) fn state(dir: &Path) -> Result<String, CgroupError> {
    Ok(fs::read(dir, STATE)?.trim().to_string())
}

pub(crate) fn is_frozen(dir: &Path) -> Result<bool, CgroupError> {
    Ok(state(dir)? == "FROZEN")
}

/// Write `want` and wait (~2 s at most) until the state reads back as `want`; the write is
/// repeated now and then, as runc does, since a freeze can stall on a forking task.
fn set(dir: &Path, want: &'static str) -> Result<(), CgroupError> {
    fs::write(dir, STATE, want)?;
    for i in 0..300u32 {
        if state(dir)? == want {
            return Ok(());
        }
        if i % 25 == 24 {
            fs::write(dir, STATE, want)?;
        }
        std::thread::sleep(Duration::from_millis(if i < 50 { 1 } else { 8 }));
    }
    Err(CgroupError::FreezeTimeout {
        path: dir.join(STATE),
        state: want,
    })
}

pub(crate) fn freeze(dir: &Path) -> Result<(), CgroupError> {
    let r = set(dir, "FROZEN");
    if r.is_err() {
        // Do not leave the container half frozen.
        let _ = fs::write(dir, STATE, "THAWED");
    }
    r
}

pub(crate) fn thaw(dir: &Path) -> Result<(), CgroupError> {
    set(dir, "THAWED")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};

    #[test]
    fn fake_state_round_trip() {
        let d = fake(&[STATE]);
        freeze(d.path()).unwrap();
        assert_eq!(read(d.path(), STATE), "FROZEN");
        assert!(is_frozen(d.path()).unwrap());
        thaw(d.path()).unwrap();
        assert!(!is_frozen(d.path()).unwrap());
    }
}
