//! v2 freezer: cgroup.freeze, completion read from cgroup.events "frozen".

use std::path::Path;
use std::time::Duration;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;

pub(crate) fn is_frozen(dir: &Path) -> Result<bool, CgroupError> {
    Ok(fs::read_flat_keyed(dir, "cgroup.events")?
        .iter()
        .any(|(k, v)| k == "frozen" && *v == 1))
}

fn set(dir: &Path, frozen: bool) -> Result<(), CgroupError> {
    fs::write(dir, "cgroup.freeze", if frozen { "1" } else { "0" })?;
    for i in 0..300u32 {
        if is_frozen(dir)? == frozen {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(if i < 50 { 1 } else { 8 }));
    }
    Err(CgroupError::FreezeTimeout {
        path: dir.join("cgroup.events"),
        state: if frozen { "frozen 1" } else { "frozen 0" },
    })
}

pub(crate) fn freeze(dir: &Path) -> Result<(), CgroupError> {
    let r = set(dir, true);
    if r.is_err() {
        let _ = fs::write(dir, "cgroup.freeze", "0");
    }
    r
}

pub(crate) fn thaw(dir: &Path) -> Result<(), CgroupError> {
    set(dir, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};

    #[test]
    fn reads_events() {
        let d = fake(&["cgroup.freeze"]);
        std::fs::write(d.path().join("cgroup.events"), "populated 1\nfrozen 1\n").unwrap();
        freeze(d.path()).unwrap();
        assert_eq!(read(d.path(), "cgroup.freeze"), "1");
        assert!(is_frozen(d.path()).unwrap());
        // The fake never thaws: the wait must time out with an error, not hang.
        assert!(matches!(
            thaw(d.path()),
            Err(CgroupError::FreezeTimeout { .. })
        ));
    }
}
