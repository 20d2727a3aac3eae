//! v1 cpu controller: shares, CFS quota/period/burst, real-time budget, idle.

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::Throttling;

/// Whether `c` sets anything the cpu controller (not cpuset) handles.
pub(crate) fn wants_cpu(c: &LinuxCpu) -> bool {
    c.shares().is_some_and(|s| s != 0)
        || c.quota().is_some_and(|q| q != 0)
        || c.period().is_some_and(|p| p != 0)
        || c.burst().is_some()
        || c.realtime_period().is_some()
        || c.realtime_runtime().is_some()
        || c.idle().is_some()
}

pub(crate) fn apply(dir: &Path, c: &LinuxCpu) -> Result<(), CgroupError> {
    if let Some(s) = c.shares().filter(|s| *s != 0) {
        fs::write(dir, "cpu.shares", &s.to_string())?;
    }
    // 0 means "unset" for period and quota (Docker's convention); -1 is "no quota".
    if let Some(p) = c.period().filter(|p| *p != 0) {
        fs::write_hint(
            dir,
            "cpu.cfs_period_us",
            &p.to_string(),
            " (the period must be 1000..=1000000 µs)",
        )?;
    }
    if let Some(q) = c.quota().filter(|q| *q != 0) {
        let q = if q < 0 { -1 } else { q };
        fs::write_hint(
            dir,
            "cpu.cfs_quota_us",
            &q.to_string(),
            " (the quota must be >= 1000 µs, or -1)",
        )?;
    }
    if let Some(b) = c.burst() {
        fs::write_hint(
            dir,
            "cpu.cfs_burst_us",
            &b.to_string(),
            " (the burst must not exceed the quota)",
        )?;
    }
    if let Some(p) = c.realtime_period() {
        fs::write(dir, "cpu.rt_period_us", &p.to_string())?;
    }
    if let Some(r) = c.realtime_runtime() {
        fs::write_hint(
            dir,
            "cpu.rt_runtime_us",
            &r.to_string(),
            " (EINVAL/EBUSY: the parent's cpu.rt_runtime_us must leave room; real-time budget is hierarchical)",
        )?;
    }
    if let Some(i) = c.idle() {
        fs::write(dir, "cpu.idle", &i.to_string())?;
    }
    Ok(())
}

pub(crate) fn stats(dir: &Path, out: &mut Throttling) -> Result<(), CgroupError> {
    if !fs::exists(dir, "cpu.stat") {
        return Ok(());
    }
    for (k, v) in fs::read_flat_keyed(dir, "cpu.stat")? {
        match k.as_str() {
            "nr_periods" => out.periods = v,
            "nr_throttled" => out.throttled_periods = v,
            "throttled_time" => out.throttled_time = v,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::LinuxCpuBuilder;

    #[test]
    fn writes_cpu_files() {
        let d = fake(&[
            "cpu.shares",
            "cpu.cfs_period_us",
            "cpu.cfs_quota_us",
            "cpu.idle",
            "cpu.stat",
        ]);
        let c = LinuxCpuBuilder::default()
            .shares(512u64)
            .quota(50_000)
            .period(100_000u64)
            .idle(1)
            .build()
            .unwrap();
        assert!(wants_cpu(&c));
        apply(d.path(), &c).unwrap();
        assert_eq!(read(d.path(), "cpu.shares"), "512");
        assert_eq!(read(d.path(), "cpu.cfs_period_us"), "100000");
        assert_eq!(read(d.path(), "cpu.cfs_quota_us"), "50000");
        assert_eq!(read(d.path(), "cpu.idle"), "1");
        let rt = LinuxCpuBuilder::default()
            .realtime_runtime(100)
            .build()
            .unwrap();
        let err = apply(d.path(), &rt).unwrap_err();
        assert!(err.to_string().contains("cpu.rt_runtime_us"), "{err}");
        std::fs::write(
            d.path().join("cpu.stat"),
            "nr_periods 4\nnr_throttled 2\nthrottled_time 99\n",
        )
        .unwrap();
        let mut t = Throttling::default();
        stats(d.path(), &mut t).unwrap();
        assert_eq!(
            (t.periods, t.throttled_periods, t.throttled_time),
            (4, 2, 99)
        );
    }

    #[test]
    fn cpuset_only_does_not_want_cpu() {
        let c = LinuxCpuBuilder::default().cpus("0").build().unwrap();
        assert!(!wants_cpu(&c));
    }
}
