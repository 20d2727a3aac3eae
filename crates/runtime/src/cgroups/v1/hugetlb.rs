//! v1 hugetlb controller: hugetlb.<size>.limit_in_bytes.

use std::collections::BTreeMap;
use std::path::Path;

use oci_spec::runtime::LinuxHugepageLimit;

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::Hugetlb;

pub(crate) fn apply(dir: &Path, limits: &[LinuxHugepageLimit]) -> Result<(), CgroupError> {
    for l in limits {
        let size = convert::hugepage_size(l.page_size())?;
        fs::write(
            dir,
            &format!("hugetlb.{size}.limit_in_bytes"),
            &l.limit().to_string(),
        )?;
    }
    Ok(())
}

/// Page sizes this cgroup knows, from its file names.
pub(crate) fn sizes(dir: &Path, suffix: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_prefix("hugetlb.")
                .and_then(|r| r.strip_suffix(suffix))
                .map(str::to_string)
        })
        .collect();
    out.sort();
    out
}

pub(crate) fn stats(dir: &Path, out: &mut BTreeMap<String, Hugetlb>) -> Result<(), CgroupError> {
    for size in sizes(dir, ".limit_in_bytes") {
        out.insert(
            size.clone(),
            Hugetlb {
                usage: fs::read_u64_opt(dir, &format!("hugetlb.{size}.usage_in_bytes"))?,
                max: fs::read_u64_opt(dir, &format!("hugetlb.{size}.max_usage_in_bytes"))?,
                failcnt: fs::read_u64_opt(dir, &format!("hugetlb.{size}.failcnt"))?,
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
    fn limit_file_per_size() {
        let d = fake(&["hugetlb.2MB.limit_in_bytes"]);
        let l = LinuxHugepageLimitBuilder::default()
            .page_size("2MB")
            .limit(4_194_304)
            .build()
            .unwrap();
        apply(d.path(), &[l]).unwrap();
        assert_eq!(read(d.path(), "hugetlb.2MB.limit_in_bytes"), "4194304");
        let mut s = BTreeMap::new();
        stats(d.path(), &mut s).unwrap();
        assert!(s.contains_key("2MB"));
        let l = LinuxHugepageLimitBuilder::default()
            .page_size("1GB")
            .limit(1)
            .build()
            .unwrap();
        assert!(apply(d.path(), &[l])
            .unwrap_err()
            .to_string()
            .contains("hugetlb.1GB.limit_in_bytes"));
    }
}
