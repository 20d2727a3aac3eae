//! v1 cpuset controller. A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks
//! until both are set, so `init_from_parent` copies the parent's values into dirs berth made.

use std::path::Path;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{parse_cpu_list, CpuSet};

const HINT: &str = " (EINVAL: the cpus/mems must be a subset of the parent's cpuset.cpus/cpuset.mems and exist on this host)";

pub(crate) fn apply(dir: &Path, cpus: Option<&str>, mems: Option<&str>) -> Result<(), CgroupError> {
    write(dir, cpus, mems, HINT)
}

/// Writes cpuset.cpus / cpuset.mems (same file names on v1 and v2); empty means unset.
pub(crate) fn write(
    dir: &Path,
    cpus: Option<&str>,
    mems: Option<&str>,
    hint: &'static str,
) -> Result<(), CgroupError> {
    if let Some(c) = cpus.filter(|c| !c.is_empty()) {
        fs::write_hint(dir, "cpuset.cpus", c, hint)?;
    }
    if let Some(m) = mems.filter(|m| !m.is_empty()) {
        fs::write_hint(dir, "cpuset.mems", m, hint)?;
    }
    Ok(())
}

/// Copy the parent's cpuset.cpus / cpuset.mems into `dir` where `dir`'s are empty,
/// first doing the same for the parent when its own are still empty. A parent made a
/// moment ago by another runtime (the shared `/berth`) may not have its values yet:
/// copying its empty ones would leave a cpuset no task can join (ENOSPC).
pub(crate) fn init_from_parent(dir: &Path) -> Result<(), CgroupError> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    if !fs::exists(dir, "cpuset.cpus") {
        return Ok(()); // not a cpuset hierarchy directory (fake trees in tests)
    }
    for file in ["cpuset.cpus", "cpuset.mems"] {
        if fs::read(dir, file)?.trim().is_empty() {
            let mut v = fs::read(parent, file)?;
            if v.trim().is_empty() && fs::exists(parent, file) {
                init_from_parent(parent)?;
                v = fs::read(parent, file)?;
            }
            fs::write_hint(dir, file, v.trim(), HINT)?;
        }
    }
    Ok(())
}

pub(crate) fn stats(dir: &Path, out: &mut CpuSet) -> Result<(), CgroupError> {
    out.cpus = parse_cpu_list(&fs::read(dir, "cpuset.cpus")?);
    out.mems = parse_cpu_list(&fs::read(dir, "cpuset.mems")?);
    out.cpu_exclusive = fs::read_u64_opt(dir, "cpuset.cpu_exclusive")?;
    out.mem_hardwall = fs::read_u64_opt(dir, "cpuset.mem_hardwall")?;
    out.mem_exclusive = fs::read_u64_opt(dir, "cpuset.mem_exclusive")?;
    out.memory_migrate = fs::read_u64_opt(dir, "cpuset.memory_migrate")?;
    out.memory_spread_page = fs::read_u64_opt(dir, "cpuset.memory_spread_page")?;
    out.memory_spread_slab = fs::read_u64_opt(dir, "cpuset.memory_spread_slab")?;
    out.memory_pressure = fs::read_u64_opt(dir, "cpuset.memory_pressure")?;
    out.sched_load_balance = fs::read_u64_opt(dir, "cpuset.sched_load_balance")?;
    if fs::exists(dir, "cpuset.sched_relax_domain_level") {
        let s = fs::read(dir, "cpuset.sched_relax_domain_level")?;
        out.sched_relax_domain_level = s.trim().parse().map_err(|_| CgroupError::Parse {
            path: dir.join("cpuset.sched_relax_domain_level"),
            value: s.clone(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};

    #[test]
    fn copies_parent_then_applies() {
        let parent = fake(&[]);
        std::fs::write(parent.path().join("cpuset.cpus"), "0-1\n").unwrap();
        std::fs::write(parent.path().join("cpuset.mems"), "0\n").unwrap();
        let child = parent.path().join("c");
        std::fs::create_dir(&child).unwrap();
        std::fs::write(child.join("cpuset.cpus"), "\n").unwrap();
        std::fs::write(child.join("cpuset.mems"), "").unwrap();
        init_from_parent(&child).unwrap();
        assert_eq!(read(&child, "cpuset.cpus"), "0-1");
        assert_eq!(read(&child, "cpuset.mems"), "0");
        apply(&child, Some("1"), None).unwrap();
        assert_eq!(read(&child, "cpuset.cpus"), "1");
        let mut s = CpuSet::default();
        stats(&child, &mut s).unwrap();
        assert_eq!((s.cpus, s.mems), (vec![1], vec![0]));
    }

    #[test]
    fn a_parent_not_yet_initialised_is_initialised_first() {
        let root = fake(&[]);
        std::fs::write(root.path().join("cpuset.cpus"), "0-1\n").unwrap();
        std::fs::write(root.path().join("cpuset.mems"), "0\n").unwrap();
        // `berth` made by another runtime that has not copied its values yet.
        let berth = root.path().join("berth");
        let child = berth.join("c");
        std::fs::create_dir_all(&child).unwrap();
        for d in [&berth, &child] {
            std::fs::write(d.join("cpuset.cpus"), "\n").unwrap();
            std::fs::write(d.join("cpuset.mems"), "\n").unwrap();
        }
        init_from_parent(&child).unwrap();
        assert_eq!(read(&child, "cpuset.cpus"), "0-1");
        assert_eq!(read(&child, "cpuset.mems"), "0");
        assert_eq!(read(&berth, "cpuset.cpus"), "0-1");
    }
}
