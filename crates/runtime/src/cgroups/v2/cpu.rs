//! v2 cpu controller: cpu.weight (converted from shares), cpu.max, cpu.max.burst, cpu.idle.

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::Cpu;

pub(crate) fn apply(dir: &Path, c: &LinuxCpu) -> Result<(), CgroupError> {
    if c.realtime_period().is_some() || c.realtime_runtime().is_some() {
        return Err(CgroupError::ControllerMissing {
            controller: "cpu (v1 real-time)",
            resource: "linux.resources.cpu.realtimeRuntime/realtimePeriod",
            hint: ": cgroup v2 has no real-time budget; remove these fields",
        });
    }
    if let Some(w) = c.shares().and_then(convert::shares_to_weight) {
        fs::write(dir, "cpu.weight", &w.to_string())?;
    }
    if let Some(max) = convert::cpu_max(c.quota(), c.period()) {
        fs::write_hint(
            dir,
            "cpu.max",
            &max,
            " (quota must be >= 1000 µs and the period 1000..=1000000 µs)",
        )?;
    }
    if let Some(b) = c.burst() {
        fs::write(dir, "cpu.max.burst", &b.to_string())?;
    }
    if let Some(i) = c.idle() {
        fs::write(dir, "cpu.idle", &i.to_string())?;
    }
    Ok(())
}

pub(crate) fn stats(dir: &Path, out: &mut Cpu) -> Result<(), CgroupError> {
    for (k, v) in fs::read_flat_keyed(dir, "cpu.stat")? {
        let ns = v.saturating_mul(1000);
        match k.as_str() {
            "usage_usec" => out.usage.total = ns,
            "user_usec" => out.usage.user = ns,
            "system_usec" => out.usage.kernel = ns,
            "nr_periods" => out.throttling.periods = v,
            "nr_throttled" => out.throttling.throttled_periods = v,
            "throttled_usec" => out.throttling.throttled_time = ns,
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
    fn weight_and_max() {
        let d = fake(&["cpu.weight", "cpu.max", "cpu.stat"]);
        let c = LinuxCpuBuilder::default()
            .shares(1024u64)
            .quota(50_000)
            .period(100_000u64)
            .build()
            .unwrap();
        apply(d.path(), &c).unwrap();
        assert_eq!(read(d.path(), "cpu.weight"), "39");
        assert_eq!(read(d.path(), "cpu.max"), "50000 100000");
        let rt = LinuxCpuBuilder::default()
            .realtime_runtime(1)
            .build()
            .unwrap();
        assert!(apply(d.path(), &rt).is_err());
        std::fs::write(
            d.path().join("cpu.stat"),
            "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_throttled 1\n",
        )
        .unwrap();
        let mut s = Cpu::default();
        stats(d.path(), &mut s).unwrap();
        assert_eq!(
            (
                s.usage.total,
                s.usage.user,
                s.usage.kernel,
                s.throttling.throttled_periods
            ),
            (5000, 3000, 2000, 1)
        );
    }
}
