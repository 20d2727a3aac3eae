//! Resource limits: memory (with Docker's swap rules), CPU (`--cpus`, shares, quota/period,
//! cpuset), pids, and `--ulimit` → rlimits (moby `getMemoryResources`, `getCPUResources`,
//! `getPidsLimit`, `withRlimits`).

use oci_spec::runtime::{
    LinuxCpu, LinuxCpuBuilder, LinuxMemory, LinuxMemoryBuilder, LinuxPids, LinuxPidsBuilder,
    PosixRlimit, PosixRlimitBuilder, PosixRlimitType,
};

use super::SpecError;
use crate::containers::config::{HostConfig, Ulimit};

/// `--cpus` period, in µs (100 ms, the kernel's default).
const CPU_PERIOD: u64 = 100_000;

/// Memory limits. `MemorySwap`: 0 with `Memory` set → twice `Memory` (when the host accounts
/// swap; Docker drops swap limits otherwise), -1 → unlimited (left unset, which the cgroup
/// starts with), > 0 → memory+swap.
pub fn memory(h: &HostConfig, swap_accounting: bool) -> Result<Option<LinuxMemory>, SpecError> {
    let mut b = LinuxMemoryBuilder::default();
    let mut any = false;
    if h.memory > 0 {
        b = b.limit(h.memory);
        any = true;
    }
    if h.memory_reservation > 0 {
        b = b.reservation(h.memory_reservation);
        any = true;
    }
    let swap = match h.memory_swap {
        0 if h.memory > 0 => h.memory.saturating_mul(2),
        s => s,
    };
    if swap > 0 && swap_accounting {
        b = b.swap(swap);
        any = true;
    }
    Ok(if any { Some(b.build()?) } else { None })
}

/// Whether the host can limit swap (v1 `memory.memsw.*`, or cgroup2's `memory.swap.max`).
pub fn host_swap_accounting() -> bool {
    let v1 = std::path::Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
    let v2 = std::path::Path::new("/sys/fs/cgroup/init.scope/memory.swap.max");
    let v2_root = std::path::Path::new("/sys/fs/cgroup/system.slice/memory.swap.max");
    v1.exists() || v2.exists() || v2_root.exists()
}

/// CPU limits; `--cpus 1.5` (NanoCpus 1.5e9) → quota 150000 per period 100000.
pub fn cpu(h: &HostConfig) -> Result<Option<LinuxCpu>, SpecError> {
    let mut b = LinuxCpuBuilder::default();
    let mut any = false;
    if h.cpu_shares != 0 {
        let shares = u64::try_from(h.cpu_shares).map_err(|_| SpecError::InvalidCpuShares {
            shares: h.cpu_shares,
        })?;
        b = b.shares(shares);
        any = true;
    }
    if !h.cpuset_cpus.is_empty() {
        b = b.cpus(h.cpuset_cpus.clone());
        any = true;
    }
    if !h.cpuset_mems.is_empty() {
        b = b.mems(h.cpuset_mems.clone());
        any = true;
    }
    if h.nano_cpus > 0 {
        let quota = i64::try_from(i128::from(h.nano_cpus) * i128::from(CPU_PERIOD) / 1_000_000_000)
            .unwrap_or(i64::MAX);
        b = b.period(CPU_PERIOD).quota(quota);
        any = true;
    }
    if h.cpu_period > 0 {
        b = b.period(u64::try_from(h.cpu_period).unwrap_or(CPU_PERIOD));
        any = true;
    }
    if h.cpu_quota != 0 {
        b = b.quota(h.cpu_quota);
        any = true;
    }
    Ok(if any { Some(b.build()?) } else { None })
}

/// `--pids-limit`: unset → none; 0 or negative → -1 (unlimited).
pub fn pids(h: &HostConfig) -> Result<Option<LinuxPids>, SpecError> {
    match h.pids_limit {
        None => Ok(None),
        Some(n) => Ok(Some(
            LinuxPidsBuilder::default()
                .limit(if n <= 0 { -1 } else { n })
                .build()?,
        )),
    }
}

fn rlimit_type(name: &str) -> Option<PosixRlimitType> {
    use PosixRlimitType::*;
    Some(match name {
        "as" => RlimitAs,
        "core" => RlimitCore,
        "cpu" => RlimitCpu,
        "data" => RlimitData,
        "fsize" => RlimitFsize,
        "locks" => RlimitLocks,
        "memlock" => RlimitMemlock,
        "msgqueue" => RlimitMsgqueue,
        "nice" => RlimitNice,
        "nofile" => RlimitNofile,
        "nproc" => RlimitNproc,
        "rss" => RlimitRss,
        "rtprio" => RlimitRtprio,
        "rttime" => RlimitRttime,
        "sigpending" => RlimitSigpending,
        "stack" => RlimitStack,
        _ => return None,
    })
}

/// `--ulimit name=soft[:hard]` → rlimits (Docker sets none by default). -1 = unlimited.
pub fn rlimits(ulimits: &[Ulimit]) -> Result<Vec<PosixRlimit>, SpecError> {
    let to_u64 = |v: i64| if v < 0 { u64::MAX } else { v as u64 };
    ulimits
        .iter()
        .map(|u| {
            let name = u.name.to_lowercase();
            let typ = rlimit_type(&name).ok_or_else(|| SpecError::UnknownUlimit {
                name: u.name.clone(),
            })?;
            let (soft, hard) = (to_u64(u.soft), to_u64(u.hard));
            if soft > hard || (u.soft < -1) || (u.hard < -1) {
                return Err(SpecError::InvalidUlimit {
                    name: u.name.clone(),
                    soft: u.soft,
                    hard: u.hard,
                });
            }
            Ok(PosixRlimitBuilder::default()
                .typ(typ)
                .soft(soft)
                .hard(hard)
                .build()?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_nothing_limited() {
        let h = HostConfig::default();
        assert!(memory(&h, true).unwrap().is_none());
        assert!(cpu(&h).unwrap().is_none());
        assert!(pids(&h).unwrap().is_none());
    }

    #[test]
    fn memory_and_swap_semantics() {
        let mut h = HostConfig {
            memory: 64 << 20,
            ..Default::default()
        };
        let m = memory(&h, true).unwrap().unwrap();
        assert_eq!((m.limit(), m.swap()), (Some(64 << 20), Some(128 << 20)));
        h.memory_swap = -1;
        assert_eq!(memory(&h, true).unwrap().unwrap().swap(), None);
        h.memory_swap = 100 << 20;
        assert_eq!(memory(&h, true).unwrap().unwrap().swap(), Some(100 << 20));
        assert_eq!(memory(&h, false).unwrap().unwrap().swap(), None);
        h.memory_reservation = 32 << 20;
        assert_eq!(
            memory(&h, true).unwrap().unwrap().reservation(),
            Some(32 << 20)
        );
    }

    #[test]
    fn cpus_one_and_a_half() {
        let h = HostConfig {
            nano_cpus: 1_500_000_000,
            ..Default::default()
        };
        let c = cpu(&h).unwrap().unwrap();
        assert_eq!((c.quota(), c.period()), (Some(150_000), Some(100_000)));
    }

    #[test]
    fn shares_quota_period_cpuset() {
        let h = HostConfig {
            cpu_shares: 512,
            cpu_quota: 50_000,
            cpu_period: 200_000,
            cpuset_cpus: "0-1".into(),
            cpuset_mems: "0".into(),
            ..Default::default()
        };
        let c = cpu(&h).unwrap().unwrap();
        assert_eq!(
            (c.shares(), c.quota(), c.period()),
            (Some(512), Some(50_000), Some(200_000))
        );
        assert_eq!(
            (c.cpus().as_deref(), c.mems().as_deref()),
            (Some("0-1"), Some("0"))
        );
        assert!(cpu(&HostConfig {
            cpu_shares: -1,
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn pids_limit() {
        let p = |n| {
            pids(&HostConfig {
                pids_limit: Some(n),
                ..Default::default()
            })
            .unwrap()
            .unwrap()
            .limit()
        };
        assert_eq!(p(100), 100);
        assert_eq!(p(0), -1);
        assert_eq!(p(-5), -1);
    }

    #[test]
    fn ulimits() {
        let u = |n: &str, s, h| Ulimit {
            name: n.into(),
            soft: s,
            hard: h,
        };
        let r = rlimits(&[u("nofile", 1024, 2048), u("core", -1, -1)]).unwrap();
        assert_eq!(
            (r[0].typ(), r[0].soft(), r[0].hard()),
            (PosixRlimitType::RlimitNofile, 1024, 2048)
        );
        assert_eq!(
            (r[1].typ(), r[1].soft()),
            (PosixRlimitType::RlimitCore, u64::MAX)
        );
        assert!(matches!(
            rlimits(&[u("fly", 1, 1)]),
            Err(SpecError::UnknownUlimit { .. })
        ));
        assert!(matches!(
            rlimits(&[u("nofile", 10, 5)]),
            Err(SpecError::InvalidUlimit { .. })
        ));
        assert!(rlimits(&[]).unwrap().is_empty());
    }
}
