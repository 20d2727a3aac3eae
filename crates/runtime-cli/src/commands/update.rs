//! `update`: new limits from `-r resources.json` (or stdin), overridden by flags.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use runtime::container;
use runtime::oci_spec::runtime::{LinuxCpu, LinuxPidsBuilder, LinuxResources};

use crate::cli::UpdateArgs;

/// "512m", "1g", "1048576" → bytes; "-1" stays unlimited.
pub fn parse_bytes(s: &str) -> Result<i64> {
    let s = s.trim();
    if s == "-1" {
        return Ok(-1);
    }
    let lower = s.to_ascii_lowercase();
    let lower = lower.trim_end_matches('b');
    let (num, mult) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1i64 << 10),
        Some('m') => (&lower[..lower.len() - 1], 1 << 20),
        Some('g') => (&lower[..lower.len() - 1], 1 << 30),
        Some('t') => (&lower[..lower.len() - 1], 1 << 40),
        _ => (lower, 1),
    };
    let n: f64 = num.parse().with_context(|| format!("invalid size {s:?}"))?;
    Ok((n * mult as f64) as i64)
}

pub fn update(root: &Path, a: UpdateArgs) -> Result<i32> {
    let mut c = container::load(root, &a.id)?;
    let mut r: LinuxResources = match &a.resources {
        Some(p) => {
            let mut text = String::new();
            if p.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text)?;
            } else {
                text =
                    std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?;
            }
            serde_json::from_str(&text).context("parse resources JSON")?
        }
        None => LinuxResources::default(),
    };
    let mut mem = (*r.memory()).unwrap_or_default();
    let mut mem_set = r.memory().is_some();
    if let Some(m) = &a.memory {
        mem.set_limit(Some(parse_bytes(m)?));
        mem_set = true;
    }
    if let Some(m) = &a.memory_reservation {
        mem.set_reservation(Some(parse_bytes(m)?));
        mem_set = true;
    }
    if let Some(m) = &a.memory_swap {
        mem.set_swap(Some(parse_bytes(m)?));
        mem_set = true;
    }
    if mem_set {
        r.set_memory(Some(mem));
    }
    let mut cpu: LinuxCpu = r.cpu().clone().unwrap_or_default();
    let before = format!("{cpu:?}");
    if let Some(v) = a.cpu_period {
        cpu.set_period(Some(v));
    }
    if let Some(v) = a.cpu_quota {
        cpu.set_quota(Some(v));
    }
    if let Some(v) = a.cpu_share {
        cpu.set_shares(Some(v));
    }
    if let Some(v) = a.cpu_rt_period {
        cpu.set_realtime_period(Some(v));
    }
    if let Some(v) = a.cpu_rt_runtime {
        cpu.set_realtime_runtime(Some(v));
    }
    if let Some(v) = &a.cpuset_cpus {
        cpu.set_cpus(Some(v.clone()));
    }
    if let Some(v) = &a.cpuset_mems {
        cpu.set_mems(Some(v.clone()));
    }
    if format!("{cpu:?}") != before {
        r.set_cpu(Some(cpu));
    }
    if let Some(v) = a.pids_limit {
        r.set_pids(Some(LinuxPidsBuilder::default().limit(v).build()?));
    }
    if let Some(w) = a.blkio_weight {
        let mut b = r.block_io().clone().unwrap_or_default();
        b.set_weight(Some(w));
        r.set_block_io(Some(b));
    }
    container::update(&mut c, &r)?;
    Ok(0)
}
