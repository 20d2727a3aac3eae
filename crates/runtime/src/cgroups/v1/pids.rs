//! v1 pids controller (same files as v2).

use std::path::Path;

use oci_spec::runtime::LinuxPids;

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::Pids;

pub(crate) fn apply(dir: &Path, p: &LinuxPids) -> Result<(), CgroupError> {
    fs::write(dir, "pids.max", &convert::pids_max(p.limit()))
}

pub(crate) fn stats(dir: &Path, out: &mut Pids) -> Result<(), CgroupError> {
    out.current = fs::read_u64(dir, "pids.current")?;
    let max = fs::read_u64(dir, "pids.max")?;
    out.limit = if max == u64::MAX { 0 } else { max };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::LinuxPidsBuilder;

    #[test]
    fn limits() {
        let d = fake(&["pids.max"]);
        apply(
            d.path(),
            &LinuxPidsBuilder::default().limit(42).build().unwrap(),
        )
        .unwrap();
        assert_eq!(read(d.path(), "pids.max"), "42");
        apply(
            d.path(),
            &LinuxPidsBuilder::default().limit(-1).build().unwrap(),
        )
        .unwrap();
        assert_eq!(read(d.path(), "pids.max"), "max");
        std::fs::write(d.path().join("pids.current"), "3\n").unwrap();
        let mut p = Pids::default();
        stats(d.path(), &mut p).unwrap();
        assert_eq!((p.current, p.limit), (3, 0));
    }
}
