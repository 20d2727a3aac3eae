//! `stats`: one sample of a container's resource use, read from its cgroup (the
//! runtime's `Manager::stats`), the host's `/proc/stat` (the system CPU clock Docker
//! divides by) and the container's `/proc/<pid>/net/dev`. A stopped container gives a
//! sample of zeros, as Docker shows it with `-a`.

use std::time::SystemTime;

use super::state::is_active;
use crate::error::Result;
use crate::Engine;

/// What `docker stats` computes its columns from. Bytes, nanoseconds, counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSample {
    pub id: String,
    pub name: String,
    pub running: bool,
    pub read_at: SystemTime,
    /// The container's CPU time (cgroup cpuacct / cpu.stat), ns.
    pub cpu_total: u64,
    /// The host's CPU time (all CPUs, /proc/stat), ns.
    pub system_cpu: u64,
    pub online_cpus: u32,
    /// Usage minus inactive page cache (Docker's "MEM USAGE").
    pub memory: u64,
    /// The cgroup's limit, or the host's memory when that is lower (unlimited).
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// Docker's CPU %: container CPU delta / system CPU delta × online CPUs × 100; 0 unless
/// both deltas are positive.
pub fn cpu_percent(prev: &StatsSample, cur: &StatsSample) -> f64 {
    let cpu_delta = cur.cpu_total as f64 - prev.cpu_total as f64;
    let system_delta = cur.system_cpu as f64 - prev.system_cpu as f64;
    if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * f64::from(cur.online_cpus) * 100.0
    } else {
        0.0
    }
}

/// Docker's MEM %: usage / limit × 100 (0 without a limit).
pub fn memory_percent(s: &StatsSample) -> f64 {
    if s.memory_limit == 0 {
        0.0
    } else {
        s.memory as f64 / s.memory_limit as f64 * 100.0
    }
}

/// The host's CPU time in ns and its number of CPUs, from `/proc/stat` (Docker sums
/// user..softirq of the `cpu` line, in USER_HZ = 100 ticks per second).
pub fn system_cpu(proc_stat: &str) -> (u64, u32) {
    let mut total = 0;
    let mut cpus = 0;
    for line in proc_stat.lines() {
        let mut f = line.split_whitespace();
        match f.next() {
            Some("cpu") => {
                total = f
                    .take(7)
                    .filter_map(|v| v.parse::<u64>().ok())
                    .sum::<u64>()
                    .saturating_mul(1_000_000_000 / 100);
            }
            Some(k) if k.starts_with("cpu") => cpus += 1,
            _ => {}
        }
    }
    (total, cpus)
}

/// Received and transmitted bytes of every interface but `lo` in a `/proc/<pid>/net/dev`.
pub fn net_io(net_dev: &str) -> (u64, u64) {
    let mut rx_tx = (0, 0);
    for line in net_dev.lines().skip(2) {
        let Some((iface, rest)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        if f.len() >= 9 {
            rx_tx.0 += f[0];
            rx_tx.1 += f[8];
        }
    }
    rx_tx
}

/// `MemTotal` of a `/proc/meminfo`, in bytes.
pub fn host_memory(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

impl Engine {
    /// One sample of the container's resource use (zeros when it does not run).
    pub fn container_stats(&mut self, id_or_name: &str) -> Result<StatsSample> {
        let c = self.container(id_or_name)?;
        let (system, cpus) = system_cpu(&std::fs::read_to_string("/proc/stat").unwrap_or_default());
        let mut s = StatsSample {
            id: c.id.clone(),
            name: c.name.clone(),
            running: false,
            read_at: SystemTime::now(),
            cpu_total: 0,
            system_cpu: system,
            online_cpus: cpus,
            memory: 0,
            memory_limit: 0,
            net_rx: 0,
            net_tx: 0,
            block_read: 0,
            block_write: 0,
            pids: 0,
        };
        if !is_active(&c.state.status) || c.state.status == "restarting" {
            return Ok(s);
        }
        // The container may exit between the state read and this one: zeros then.
        let Ok(cg) = self.runtime_call(&c.id, runtime::container::stats) else {
            return Ok(s);
        };
        let host_mem = host_memory(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default());
        s.running = true;
        s.cpu_total = cg.cpu.usage.total;
        s.memory = cg.memory_used();
        s.memory_limit = match cg.memory.usage.limit {
            0 => host_mem,
            l if host_mem > 0 && l > host_mem => host_mem,
            l => l,
        };
        (s.block_read, s.block_write) = cg.block_io();
        s.pids = cg.pids.current;
        if c.state.pid > 0 {
            let dev = std::fs::read_to_string(format!("/proc/{}/net/dev", c.state.pid));
            (s.net_rx, s.net_tx) = net_io(&dev.unwrap_or_default());
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cpu: u64, system: u64) -> StatsSample {
        StatsSample {
            id: String::new(),
            name: String::new(),
            running: true,
            read_at: SystemTime::UNIX_EPOCH,
            cpu_total: cpu,
            system_cpu: system,
            online_cpus: 2,
            memory: 1 << 20,
            memory_limit: 64 << 20,
            net_rx: 0,
            net_tx: 0,
            block_read: 0,
            block_write: 0,
            pids: 1,
        }
    }

    #[test]
    fn cpu_formula_is_dockers() {
        // Half of one CPU's worth of the system's 2-CPU time: 25% × 2 CPUs = 50%.
        let p = cpu_percent(&sample(0, 0), &sample(500, 2000));
        assert!((p - 50.0).abs() < 1e-9, "{p}");
        assert_eq!(cpu_percent(&sample(10, 10), &sample(10, 20)), 0.0);
        assert_eq!(cpu_percent(&sample(10, 10), &sample(20, 10)), 0.0);
        assert!((memory_percent(&sample(0, 0)) - 1.5625).abs() < 1e-9);
    }

    #[test]
    fn proc_files() {
        let stat = "cpu  10 0 10 80 0 0 0 5 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0 0 0\nintr 1\n";
        assert_eq!(system_cpu(stat), (100 * 10_000_000, 2));
        let dev = "Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: 1500 3 0 0 0 0 0 0 700 2 0 0 0 0 0 0\n";
        assert_eq!(net_io(dev), (1500, 700));
        assert_eq!(
            host_memory("MemTotal:        2048 kB\nMemFree: 1 kB\n"),
            2 << 20
        );
    }
}
