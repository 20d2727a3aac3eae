//! Container statistics, serialised exactly like the "data" object of runc's
//! `runc events --stats` (runc types/events.go `types.Stats`): the same field names and the
//! same Go `omitempty` behaviour (zero numbers and empty lists/maps left out, structs always
//! present, `hugetlb` and `network_interfaces` always present).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub cpu: Cpu,
    pub cpuset: CpuSet,
    pub memory: Memory,
    pub pids: Pids,
    pub blkio: Blkio,
    pub hugetlb: BTreeMap<String, Hugetlb>,
    pub intel_rdt: IntelRdt,
    /// Always null: network statistics are not a cgroup matter (runc fills them elsewhere).
    pub network_interfaces: Option<Vec<serde_json::Value>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hugetlb {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlkioEntry {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub major: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minor: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub op: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blkio {
    #[serde(
        rename = "ioServiceBytesRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioServicedRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioQueueRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_queued_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioServiceTimeRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioWaitTimeRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioMergedRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_merged_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioTimeRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_time_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "sectorsRecursive",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sectors_recursive: Vec<BlkioEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pids {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: u64,
    /// 0 when unlimited ("max"), as runc.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttling {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub periods: u64,
    #[serde(rename = "throttledPeriods", default, skip_serializing_if = "is_zero")]
    pub throttled_periods: u64,
    /// Nanoseconds.
    #[serde(rename = "throttledTime", default, skip_serializing_if = "is_zero")]
    pub throttled_time: u64,
}

/// All values in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUsage {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu_kernel: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu_user: Vec<u64>,
    pub kernel: u64,
    pub user: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    pub usage: CpuUsage,
    pub throttling: Throttling,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSet {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<u16>,
    pub cpu_exclusive: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mems: Vec<u16>,
    pub mem_hardwall: u64,
    pub mem_exclusive: u64,
    pub memory_migrate: u64,
    pub memory_spread_page: u64,
    pub memory_spread_slab: u64,
    pub memory_pressure: u64,
    pub sched_load_balance: u64,
    pub sched_relax_domain_level: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEntry {
    pub limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache: u64,
    pub usage: MemoryEntry,
    pub swap: MemoryEntry,
    pub kernel: MemoryEntry,
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

impl Stats {
    /// Memory in use as `docker stats` counts it: usage minus the inactive page cache
    /// (`total_inactive_file` on v1, `inactive_file` on v2), as Docker's CLI does.
    pub fn memory_used(&self) -> u64 {
        let usage = self.memory.usage.usage;
        let inactive = self
            .memory
            .raw
            .get("total_inactive_file")
            .or_else(|| self.memory.raw.get("inactive_file"))
            .copied()
            .unwrap_or(0);
        if inactive < usage {
            usage - inactive
        } else {
            usage
        }
    }

    /// Bytes read and written by the container's block I/O (summed over devices).
    pub fn block_io(&self) -> (u64, u64) {
        let mut rw = (0, 0);
        for e in &self.blkio.io_service_bytes_recursive {
            if e.op.eq_ignore_ascii_case("read") {
                rw.0 += e.value;
            } else if e.op.eq_ignore_ascii_case("write") {
                rw.1 += e.value;
            }
        }
        rw
    }
}

/// Always empty: berth does not manage Intel RDT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelRdt {}

/// Parse a cpuset list ("0-3,5") into the numbers it names.
pub(crate) fn parse_cpu_list(s: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) {
                    out.extend(a..=b);
                }
            }
            None => {
                if let Ok(a) = part.parse::<u16>() {
                    out.push(a);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_stats_serialise_like_runc() {
        let s = serde_json::to_value(Stats::default()).unwrap();
        let want = serde_json::json!({
            "cpu": {"usage": {"kernel": 0, "user": 0}, "throttling": {}},
            "cpuset": {"cpu_exclusive": 0, "mem_hardwall": 0, "mem_exclusive": 0,
                "memory_migrate": 0, "memory_spread_page": 0, "memory_spread_slab": 0,
                "memory_pressure": 0, "sched_load_balance": 0, "sched_relax_domain_level": 0},
            "memory": {"usage": {"limit": 0, "failcnt": 0}, "swap": {"limit": 0, "failcnt": 0},
                "kernel": {"limit": 0, "failcnt": 0}, "kernelTCP": {"limit": 0, "failcnt": 0}},
            "pids": {},
            "blkio": {},
            "hugetlb": {},
            "intel_rdt": {},
            "network_interfaces": null
        });
        assert_eq!(s, want);
    }

    #[test]
    fn filled_fields_use_runc_names() {
        let mut s = Stats::default();
        s.cpu.throttling.throttled_periods = 3;
        s.cpu.usage.percpu = vec![1, 2];
        s.blkio.io_service_bytes_recursive.push(BlkioEntry {
            major: 8,
            minor: 0,
            op: "Read".into(),
            value: 5,
        });
        s.memory.raw.insert("cache".into(), 7);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["cpu"]["throttling"]["throttledPeriods"], 3);
        assert_eq!(v["cpu"]["usage"]["percpu"], serde_json::json!([1, 2]));
        assert_eq!(v["blkio"]["ioServiceBytesRecursive"][0]["op"], "Read");
        assert_eq!(v["memory"]["raw"]["cache"], 7);
    }

    #[test]
    fn docker_memory_and_block_io() {
        let mut s = Stats::default();
        s.memory.usage.usage = 1000;
        assert_eq!(s.memory_used(), 1000);
        s.memory.raw.insert("total_inactive_file".into(), 300);
        assert_eq!(s.memory_used(), 700);
        s.memory.raw.insert("total_inactive_file".into(), 5000);
        assert_eq!(s.memory_used(), 1000);
        for (op, value) in [("Read", 5), ("Write", 7), ("read", 1), ("Sync", 100)] {
            s.blkio.io_service_bytes_recursive.push(BlkioEntry {
                major: 8,
                minor: 0,
                op: op.into(),
                value,
            });
        }
        assert_eq!(s.block_io(), (6, 7));
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-2,5\n"), vec![0, 1, 2, 5]);
        assert_eq!(parse_cpu_list(""), Vec::<u16>::new());
    }
}
