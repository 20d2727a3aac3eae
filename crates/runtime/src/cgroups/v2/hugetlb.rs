//! v2 hugetlb controller: hugetlb.<size>.max.

use std::collections::BTreeMap;
use std::path::Path;

use oci_spec::runtime::LinuxHugepageLimit;

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::Hugetlb;
use crate::cgroups::v1::hugetlb::sizes;

pub(crate) fn apply(dir: &Path, limits: &[LinuxHugepageLimit]) -> Result<(), CgroupError> {
    for l in limits {
        let size = convert::hugepage_size(l.page_size())?;
        fs::write(
            dir,
            &format!("hugetlb.{size}.max"),
            &convert::memory_v2(l.limit()),
        )?;
    }
    Ok(())
}

pub(crate) fn stats(dir: &Path, out: &mut BTreeMap<String, Hugetlb>) -> Result<(), CgroupError> {
    for size in sizes(dir, ".max") {
        let events: BTreeMap<String, u64> = if fs::exists(dir, &format!("hugetlb.{size}.events")) {
            fs::read_flat_keyed(dir, &format!("hugetlb.{size}.events"))?
                .into_iter()
                .collect()
        } else {
            BTreeMap::new()
        };
        out.insert(
            size.clone(),
            Hugetlb {
                usage: fs::read_u64_opt(dir, &format!("hugetlb.{size}.current"))?,
                max: 0,
                failcnt: events.get("max").copied().unwrap_or(0),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::LinuxHugepageLimitBuilder;

    #[test]
    fn max_file() {
        let d = fake(&["hugetlb.2MB.max"]);
        let l = LinuxHugepageLimitBuilder::default()
            .page_size("2MB")
            .limit(2_097_152)
            .build()
            .unwrap();
        apply(d.path(), &[l]).unwrap();
        assert_eq!(read(d.path(), "hugetlb.2MB.max"), "2097152");
    }
}
