//! v2 cpuset controller: cpuset.cpus / cpuset.mems (empty means "inherit" on v2).

use std::path::Path;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{parse_cpu_list, CpuSet};

const HINT: &str = " (EINVAL: the cpus/mems must exist on this host and lie within the parent's cpuset.cpus.effective/mems.effective)";

pub(crate) fn apply(dir: &Path, cpus: Option<&str>, mems: Option<&str>) -> Result<(), CgroupError> {
    crate::cgroups::v1::cpuset::write(dir, cpus, mems, HINT)
}

pub(crate) fn stats(dir: &Path, out: &mut CpuSet) -> Result<(), CgroupError> {
    if fs::exists(dir, "cpuset.cpus.effective") {
        out.cpus = parse_cpu_list(&fs::read(dir, "cpuset.cpus.effective")?);
        out.mems = parse_cpu_list(&fs::read(dir, "cpuset.mems.effective")?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};

    #[test]
    fn writes_cpuset() {
        let d = fake(&["cpuset.cpus", "cpuset.mems"]);
        apply(d.path(), Some("0-1"), Some("0")).unwrap();
        assert_eq!(read(d.path(), "cpuset.cpus"), "0-1");
        assert_eq!(read(d.path(), "cpuset.mems"), "0");
    }
}
