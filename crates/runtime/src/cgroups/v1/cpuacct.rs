//! v1 cpuacct controller: statistics only.

use std::path::Path;

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::CpuUsage;

fn list(dir: &Path, file: &str) -> Result<Vec<u64>, CgroupError> {
    if !fs::exists(dir, file) {
        return Ok(Vec::new());
    }
    let s = fs::read(dir, file)?;
    s.split_whitespace()
        .map(|v| fs::parse_u64(dir, file, v))
        .collect()
}

pub(crate) fn stats(dir: &Path, out: &mut CpuUsage) -> Result<(), CgroupError> {
    out.total = fs::read_u64_opt(dir, "cpuacct.usage")?;
    out.percpu = list(dir, "cpuacct.usage_percpu")?;
    out.percpu_kernel = list(dir, "cpuacct.usage_percpu_sys")?;
    out.percpu_user = list(dir, "cpuacct.usage_percpu_user")?;
    if fs::exists(dir, "cpuacct.usage_sys") && fs::exists(dir, "cpuacct.usage_user") {
        out.kernel = fs::read_u64(dir, "cpuacct.usage_sys")?;
        out.user = fs::read_u64(dir, "cpuacct.usage_user")?;
    } else if fs::exists(dir, "cpuacct.stat") {
        // cpuacct.stat counts USER_HZ ticks.
        let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .unwrap_or(100);
        let hz = u64::try_from(hz).unwrap_or(100).max(1);
        for (k, v) in fs::read_flat_keyed(dir, "cpuacct.stat")? {
            match k.as_str() {
                "user" => out.user = v.saturating_mul(1_000_000_000) / hz,
                "system" => out.kernel = v.saturating_mul(1_000_000_000) / hz,
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::fake;

    #[test]
    fn reads_usage() {
        let d = fake(&[]);
        std::fs::write(d.path().join("cpuacct.usage"), "300\n").unwrap();
        std::fs::write(d.path().join("cpuacct.usage_percpu"), "100 200 \n").unwrap();
        std::fs::write(d.path().join("cpuacct.usage_sys"), "50\n").unwrap();
        std::fs::write(d.path().join("cpuacct.usage_user"), "250\n").unwrap();
        let mut u = CpuUsage::default();
        stats(d.path(), &mut u).unwrap();
        assert_eq!(
            (u.total, u.percpu.clone(), u.kernel, u.user),
            (300, vec![100, 200], 50, 250)
        );
    }
}
