//! v1 memory controller: memory.limit_in_bytes, memory.memsw.limit_in_bytes (OCI `swap` is
//! memory+swap here), soft limit, swappiness, oom_control.

use std::path::Path;

use oci_spec::runtime::LinuxMemory;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{Memory, MemoryEntry};

const LIMIT: &str = "memory.limit_in_bytes";
const MEMSW: &str = "memory.memsw.limit_in_bytes";

/// The ordered writes for `m`. The kernel requires limit <= memsw at every moment, so — as
/// runc's `setMemoryAndSwap` — when memsw is being raised above the current limit (or
/// unlimited) memsw goes first, otherwise the limit goes first.
pub(crate) fn plan(
    m: &LinuxMemory,
    current_limit: Option<u64>,
    memsw_exists: bool,
) -> Result<Vec<(&'static str, String)>, CgroupError> {
    let mut out = Vec::new();
    // 0 means "unset", as in runc (writing 0 would make the cgroup unusable).
    let limit = m.limit().filter(|v| *v != 0);
    let mut swap = m.swap().filter(|v| *v != 0);
    if limit == Some(-1) && swap.is_none() && memsw_exists {
        swap = Some(-1);
    }
    match (limit, swap) {
        (Some(l), Some(s)) => {
            let raising = s == -1 || current_limit.is_some_and(|cur| s >= 0 && cur < s as u64);
            if raising {
                out.push((MEMSW, s.to_string()));
                out.push((LIMIT, l.to_string()));
            } else {
                out.push((LIMIT, l.to_string()));
                out.push((MEMSW, s.to_string()));
            }
        }
        (Some(l), None) => out.push((LIMIT, l.to_string())),
        (None, Some(s)) => out.push((MEMSW, s.to_string())),
        (None, None) => {}
    }
    if let Some(r) = m.reservation().filter(|v| *v != 0) {
        out.push(("memory.soft_limit_in_bytes", r.to_string()));
    }
    if let Some(sw) = m.swappiness() {
        if sw > 100 {
            return Err(CgroupError::InvalidValue {
                resource: "memory.swappiness",
                reason: format!("{sw} is above 100"),
            });
        }
        out.push(("memory.swappiness", sw.to_string()));
    }
    if let Some(d) = m.disable_oom_killer() {
        out.push(("memory.oom_control", if d { "1" } else { "0" }.to_string()));
    }
    // The TCP buffer limit is still enforced on v1 (unlike the general kmem limit).
    if let Some(t) = m.kernel_tcp().filter(|v| *v != 0) {
        out.push(("memory.kmem.tcp.limit_in_bytes", t.to_string()));
    }
    Ok(out)
}

pub(crate) fn apply(dir: &Path, m: &LinuxMemory) -> Result<(), CgroupError> {
    if m.kernel().is_some() {
        tracing::warn!("memory.kernel is ignored: the kernel no longer enforces kmem limits");
    }
    let current = if fs::exists(dir, LIMIT) {
        fs::read_u64(dir, LIMIT).ok()
    } else {
        None
    };
    for (file, data) in plan(m, current, fs::exists(dir, MEMSW))? {
        let hint = match file {
            LIMIT => " (EBUSY: usage is already above the new limit; EINVAL: the limit would exceed memory.memsw.limit_in_bytes)",
            MEMSW => " (EINVAL: memory+swap must be >= the memory limit; a missing file means swap accounting is off: boot with swapaccount=1)",
            _ => "",
        };
        fs::write_hint(dir, file, &data, hint)?;
    }
    Ok(())
}

fn entry(dir: &Path, prefix: &str) -> Result<MemoryEntry, CgroupError> {
    Ok(MemoryEntry {
        limit: fs::read_u64_opt(dir, &format!("{prefix}.limit_in_bytes"))?,
        usage: fs::read_u64_opt(dir, &format!("{prefix}.usage_in_bytes"))?,
        max: fs::read_u64_opt(dir, &format!("{prefix}.max_usage_in_bytes"))?,
        failcnt: fs::read_u64_opt(dir, &format!("{prefix}.failcnt"))?,
    })
}

pub(crate) fn stats(dir: &Path, out: &mut Memory) -> Result<(), CgroupError> {
    out.raw = fs::read_flat_keyed(dir, "memory.stat")?
        .into_iter()
        .collect();
    out.cache = out.raw.get("cache").copied().unwrap_or(0);
    out.usage = entry(dir, "memory")?;
    out.swap = entry(dir, "memory.memsw")?;
    out.kernel = entry(dir, "memory.kmem")?;
    out.kernel_tcp = entry(dir, "memory.kmem.tcp")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::LinuxMemoryBuilder;

    fn mem(limit: i64, swap: Option<i64>) -> LinuxMemory {
        let mut m = LinuxMemoryBuilder::default().limit(limit).build().unwrap();
        m.set_swap(swap);
        m
    }

    #[test]
    fn raising_writes_memsw_first() {
        let p = plan(&mem(200, Some(400)), Some(100), true).unwrap();
        assert_eq!(p, vec![(MEMSW, "400".into()), (LIMIT, "200".into())]);
        let p = plan(&mem(200, Some(-1)), Some(100), true).unwrap();
        assert_eq!(p, vec![(MEMSW, "-1".into()), (LIMIT, "200".into())]);
    }

    #[test]
    fn lowering_writes_limit_first() {
        let p = plan(&mem(100, Some(150)), Some(9_223_372_036_854_771_712), true).unwrap();
        assert_eq!(p, vec![(LIMIT, "100".into()), (MEMSW, "150".into())]);
    }

    #[test]
    fn unlimited_memory_unlimits_swap() {
        let p = plan(&mem(-1, None), Some(100), true).unwrap();
        assert_eq!(p, vec![(MEMSW, "-1".into()), (LIMIT, "-1".into())]);
        let p = plan(&mem(-1, None), Some(100), false).unwrap();
        assert_eq!(p, vec![(LIMIT, "-1".into())]);
    }

    #[test]
    fn writes_files() {
        let d = fake(&[
            LIMIT,
            MEMSW,
            "memory.soft_limit_in_bytes",
            "memory.swappiness",
            "memory.oom_control",
        ]);
        let m = LinuxMemoryBuilder::default()
            .limit(1_048_576)
            .swap(2_097_152)
            .reservation(524_288)
            .swappiness(10u64)
            .disable_oom_killer(true)
            .build()
            .unwrap();
        apply(d.path(), &m).unwrap();
        assert_eq!(read(d.path(), LIMIT), "1048576");
        assert_eq!(read(d.path(), MEMSW), "2097152");
        assert_eq!(read(d.path(), "memory.soft_limit_in_bytes"), "524288");
        assert_eq!(read(d.path(), "memory.swappiness"), "10");
        assert_eq!(read(d.path(), "memory.oom_control"), "1");
        let bad = LinuxMemoryBuilder::default()
            .swappiness(101u64)
            .build()
            .unwrap();
        assert!(apply(d.path(), &bad).is_err());
    }

    #[test]
    fn missing_memsw_is_named() {
        let d = fake(&[LIMIT]);
        let err = apply(d.path(), &mem(100, Some(200))).unwrap_err();
        assert!(
            err.to_string().contains("memory.memsw.limit_in_bytes"),
            "{err}"
        );
    }
}
