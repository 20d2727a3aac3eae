//! Unit conversions between the OCI (cgroup v1 flavoured) values and cgroup v2 files, in one
//! place (crun `convert_shares_to_weight`, `convert_blkio_to_io_weight`).

use super::error::CgroupError;

/// cpu.shares (2..=262144) → cpu.weight (1..=10000), as crun's `convert_shares_to_weight`.
/// 0 means "unset" and maps to `None`.
pub fn shares_to_weight(shares: u64) -> Option<u64> {
    if shares == 0 {
        return None;
    }
    let s = shares.clamp(2, 262_144);
    Some(1 + ((s - 2) * 9999) / 262_142)
}

/// blkio.weight (10..=1000) → io.weight (1..=10000), as crun's `convert_blkio_to_io_weight`.
/// 0 means "unset".
pub fn blkio_weight_to_io_weight(weight: u16) -> Option<u64> {
    if weight == 0 {
        return None;
    }
    let w = u64::from(weight.clamp(10, 1000));
    Some(1 + ((w - 10) * 9999) / 990)
}

/// A memory value for a v2 file: -1 (or any negative) is "max".
pub fn memory_v2(v: i64) -> String {
    if v < 0 {
        "max".to_string()
    } else {
        v.to_string()
    }
}

/// memory.swap.max from the OCI `swap` (memory+swap, v1 semantics) and `limit`.
/// Returns `None` when nothing should be written.
pub fn swap_v2(limit: Option<i64>, swap: Option<i64>) -> Result<Option<String>, CgroupError> {
    match (limit, swap) {
        (_, None) => Ok(None),
        (_, Some(s)) if s < 0 => Ok(Some("max".to_string())),
        (Some(l), Some(_)) if l < 0 => Ok(Some("max".to_string())),
        (None, Some(_)) => Err(CgroupError::InvalidValue {
            resource: "memory.swap",
            reason:
                "on cgroup v2 swap needs memory.limit too (swap is memory+swap in the OCI spec)"
                    .into(),
        }),
        (Some(l), Some(s)) if s < l => Err(CgroupError::InvalidValue {
            resource: "memory.swap",
            reason: format!(
                "swap ({s}) must be >= memory.limit ({l}): it is the memory+swap total"
            ),
        }),
        (Some(l), Some(s)) => Ok(Some((s - l).to_string())),
    }
}

/// pids.max: a limit of 0 or below means unlimited.
pub fn pids_max(limit: i64) -> String {
    if limit <= 0 {
        "max".to_string()
    } else {
        limit.to_string()
    }
}

/// cpu.max from quota/period; `None` when neither is set. Unset or negative quota is "max";
/// unset period is the kernel default 100000.
pub fn cpu_max(quota: Option<i64>, period: Option<u64>) -> Option<String> {
    // 0 means "unset" for both (runc's ConvertCPUQuotaCPUPeriodToCgroupV2Value).
    let quota = quota.filter(|q| *q != 0);
    let period = period.filter(|p| *p != 0);
    if quota.is_none() && period.is_none() {
        return None;
    }
    let q = match quota {
        Some(q) if q > 0 => q.to_string(),
        _ => "max".to_string(),
    };
    Some(format!("{q} {}", period.unwrap_or(100_000)))
}

/// OCI hugepage size ("2MB", "1GB") as it appears in hugetlb file names, validated.
pub fn hugepage_size(size: &str) -> Result<&str, CgroupError> {
    let ok = size.len() > 2
        && (size.ends_with("KB") || size.ends_with("MB") || size.ends_with("GB"))
        && size[..size.len() - 2].bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(size)
    } else {
        Err(CgroupError::InvalidValue {
            resource: "hugepageLimits.pageSize",
            reason: format!("{size:?} is not of the form <number>KB|MB|GB"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(shares_to_weight(0), None);
        assert_eq!(shares_to_weight(2), Some(1));
        assert_eq!(shares_to_weight(1024), Some(39));
        assert_eq!(shares_to_weight(262_144), Some(10_000));
        assert_eq!(shares_to_weight(1_000_000), Some(10_000));
    }

    #[test]
    fn blkio_weight() {
        assert_eq!(blkio_weight_to_io_weight(0), None);
        assert_eq!(blkio_weight_to_io_weight(10), Some(1));
        assert_eq!(blkio_weight_to_io_weight(500), Some(4950));
        assert_eq!(blkio_weight_to_io_weight(1000), Some(10_000));
    }

    #[test]
    fn swap_and_memory() {
        assert_eq!(memory_v2(-1), "max");
        assert_eq!(memory_v2(4096), "4096");
        assert_eq!(
            swap_v2(Some(100), Some(300)).ok().flatten().as_deref(),
            Some("200")
        );
        assert_eq!(
            swap_v2(Some(100), Some(-1)).ok().flatten().as_deref(),
            Some("max")
        );
        assert_eq!(
            swap_v2(Some(-1), Some(300)).ok().flatten().as_deref(),
            Some("max")
        );
        assert_eq!(swap_v2(Some(100), None).ok().flatten(), None);
        assert!(swap_v2(Some(300), Some(100)).is_err());
        assert!(swap_v2(None, Some(100)).is_err());
    }

    #[test]
    fn cpu_and_pids() {
        assert_eq!(cpu_max(None, None), None);
        assert_eq!(cpu_max(Some(0), Some(0)), None);
        assert_eq!(cpu_max(Some(50_000), None).as_deref(), Some("50000 100000"));
        assert_eq!(
            cpu_max(Some(-1), Some(20_000)).as_deref(),
            Some("max 20000")
        );
        assert_eq!(pids_max(0), "max");
        assert_eq!(pids_max(-1), "max");
        assert_eq!(pids_max(10), "10");
        assert!(hugepage_size("2MB").is_ok());
        assert!(hugepage_size("../x").is_err());
    }
}
