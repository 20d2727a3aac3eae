//! v2 memory controller: memory.max, memory.low, memory.swap.max (= OCI swap - limit).

use std::path::Path;

use oci_spec::runtime::LinuxMemory;

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{Memory, MemoryEntry};

pub(crate) fn apply(dir: &Path, m: &LinuxMemory) -> Result<(), CgroupError> {
    if m.kernel().is_some() || m.kernel_tcp().is_some() {
        tracing::warn!("memory.kernel / memory.kernelTCP are ignored: cgroup v2 has no separate kernel memory limit");
    }
    if m.swappiness().is_some() {
        tracing::warn!("memory.swappiness is ignored: cgroup v2 has no per-cgroup swappiness");
    }
    if m.disable_oom_killer() == Some(true) {
        tracing::warn!(
            "memory.disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer"
        );
    }
    // 0 means "unset", as in runc.
    let limit = m.limit().filter(|v| *v != 0);
    let swap = convert::swap_v2(limit, m.swap().filter(|v| *v != 0))?;
    // Lowering: memory.max first; swap.max is independent of memory.max on v2.
    if let Some(l) = limit {
        fs::write_hint(
            dir,
            "memory.max",
            &convert::memory_v2(l),
            " (the kernel reclaims down to the new limit; EBUSY means it could not)",
        )?;
    }
    if let Some(s) = swap {
        fs::write_hint(
            dir,
            "memory.swap.max",
            &s,
            " (a missing file means swap accounting is off)",
        )?;
    }
    if let Some(r) = m.reservation().filter(|v| *v != 0) {
        fs::write(dir, "memory.low", &convert::memory_v2(r))?;
    }
    Ok(())
}

pub(crate) fn stats(dir: &Path, out: &mut Memory) -> Result<(), CgroupError> {
    out.raw = fs::read_flat_keyed(dir, "memory.stat")?
        .into_iter()
        .collect();
    out.cache = out.raw.get("file").copied().unwrap_or(0);
    let events: std::collections::BTreeMap<String, u64> = if fs::exists(dir, "memory.events") {
        fs::read_flat_keyed(dir, "memory.events")?
            .into_iter()
            .collect()
    } else {
        Default::default()
    };
    let usage = fs::read_u64(dir, "memory.current")?;
    let limit = fs::read_u64(dir, "memory.max")?;
    out.usage = MemoryEntry {
        limit,
        usage,
        max: fs::read_u64_opt(dir, "memory.peak")?,
        failcnt: events.get("max").copied().unwrap_or(0),
    };
    if fs::exists(dir, "memory.swap.current") {
        // As runc: v2 swap is reported memsw-style (memory + swap).
        let sw = fs::read_u64(dir, "memory.swap.current")?;
        let swmax = fs::read_u64(dir, "memory.swap.max")?;
        out.swap = MemoryEntry {
            limit: if swmax == u64::MAX || limit == u64::MAX {
                u64::MAX
            } else {
                swmax + limit
            },
            usage: sw + usage,
            max: 0,
            failcnt: 0,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::LinuxMemoryBuilder;

    #[test]
    fn writes_v2_memory() {
        let d = fake(&["memory.max", "memory.swap.max", "memory.low"]);
        let m = LinuxMemoryBuilder::default()
            .limit(100)
            .swap(300)
            .reservation(50)
            .build()
            .unwrap();
        apply(d.path(), &m).unwrap();
        assert_eq!(read(d.path(), "memory.max"), "100");
        assert_eq!(read(d.path(), "memory.swap.max"), "200");
        assert_eq!(read(d.path(), "memory.low"), "50");
        let m = LinuxMemoryBuilder::default()
            .limit(-1)
            .swap(-1)
            .build()
            .unwrap();
        apply(d.path(), &m).unwrap();
        assert_eq!(read(d.path(), "memory.max"), "max");
        assert_eq!(read(d.path(), "memory.swap.max"), "max");
    }

    #[test]
    fn stats_v2() {
        let d = fake(&[]);
        for (f, v) in [
            ("memory.stat", "file 10\nanon 20\n"),
            ("memory.current", "30\n"),
            ("memory.max", "max\n"),
            ("memory.events", "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n"),
        ] {
            std::fs::write(d.path().join(f), v).unwrap();
        }
        let mut m = Memory::default();
        stats(d.path(), &mut m).unwrap();
        assert_eq!(
            (m.cache, m.usage.usage, m.usage.limit, m.usage.failcnt),
            (10, 30, u64::MAX, 2)
        );
    }
}
