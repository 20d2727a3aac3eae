//! `update`: new resource limits and restart policy for a container, with Docker's
//! checks (moby `daemon/update.go`, `container.UpdateContainer`). The limits are written
//! live to a running container's cgroup (the runtime's `Manager::apply`, the same code
//! as at create), then recorded in the `HostConfig` row and the bundle's `config.json`
//! so they hold after a restart. A new restart policy reaches a running monitor through
//! `<run_dir>/restart.json` (`monitor::config::Restart::write_override`).

use oci_spec::runtime::LinuxResources;

use super::config::{HostConfig, RestartPolicy};
use super::spec::resources;
use super::state::is_active;
use crate::error::{EngineError, Result};
use crate::Engine;

/// What `update` changes; `None` (or 0, as Docker) leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateRequest {
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
    pub pids_limit: Option<i64>,
    pub restart_policy: Option<RestartPolicy>,
}

/// Docker's smallest memory limit.
const MIN_MEMORY: i64 = 6 << 20;

/// Which resource groups an update touches.
#[derive(Debug, Default, Clone, Copy)]
struct Touched {
    memory: bool,
    cpu: bool,
    pids: bool,
}

/// The new host config, with Docker's checks, and what changed. `id` names the
/// container in the errors (`Cannot update container <id>: …`).
fn merge(id: &str, h: &HostConfig, r: &UpdateRequest) -> Result<(HostConfig, Touched)> {
    let fail =
        |msg: &str| EngineError::InvalidParameter(format!("Cannot update container {id}: {msg}"));
    let set = |v: Option<i64>| v.filter(|n| *n != 0);
    let mut n = h.clone();
    let mut t = Touched::default();
    if let Some(p) = &r.restart_policy {
        let restarts = !(p.name.is_empty() || p.name == "no");
        if h.auto_remove && restarts {
            return Err(fail(
                "Restart policy cannot be updated because AutoRemove is enabled for the container",
            ));
        }
        n.restart_policy = p.clone();
    }
    if let Some(m) = set(r.memory) {
        if m < MIN_MEMORY {
            return Err(fail("Minimum memory limit allowed is 6MB"));
        }
        // A container made with `-m` alone has memory+swap at twice its memory
        // (Docker records that; berth computes it): keep it explicit from now on.
        let swap = if h.memory_swap == 0 && h.memory > 0 {
            h.memory.saturating_mul(2)
        } else {
            h.memory_swap
        };
        if swap > 0 && m > swap && set(r.memory_swap).is_none() {
            return Err(fail(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
            ));
        }
        n.memory_swap = swap;
        n.memory = m;
        t.memory = true;
    }
    if let Some(s) = set(r.memory_swap) {
        if s > 0 && n.memory > 0 && s < n.memory {
            return Err(fail(
                "Minimum memoryswap limit should be larger than memory limit, see usage",
            ));
        }
        n.memory_swap = s;
        t.memory = true;
    }
    if let Some(v) = set(r.memory_reservation) {
        if n.memory > 0 && v > n.memory {
            return Err(fail(
                "Minimum memory limit can not be less than memory reservation limit, see usage",
            ));
        }
        n.memory_reservation = v;
        t.memory = true;
    }
    if let Some(v) = set(r.nano_cpus) {
        if n.cpu_quota != 0 || set(r.cpu_quota).is_some() {
            return Err(fail(
                "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
            ));
        }
        n.nano_cpus = v;
        t.cpu = true;
    }
    if let Some(v) = set(r.cpu_quota) {
        if n.nano_cpus != 0 {
            return Err(fail(
                "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set",
            ));
        }
        n.cpu_quota = v;
        t.cpu = true;
    }
    if let Some(v) = set(r.cpu_period) {
        if n.nano_cpus != 0 {
            return Err(fail(
                "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set",
            ));
        }
        n.cpu_period = v;
        t.cpu = true;
    }
    if let Some(v) = set(r.cpu_shares) {
        n.cpu_shares = v;
        t.cpu = true;
    }
    if let Some(v) = r.cpuset_cpus.as_ref().filter(|s| !s.is_empty()) {
        n.cpuset_cpus = v.clone();
        t.cpu = true;
    }
    if let Some(v) = r.cpuset_mems.as_ref().filter(|s| !s.is_empty()) {
        n.cpuset_mems = v.clone();
        t.cpu = true;
    }
    if let Some(v) = set(r.pids_limit) {
        n.pids_limit = Some(v);
        t.pids = true;
    }
    Ok((n, t))
}

/// The OCI resources for the touched groups of `h` (Docker's create-time rules).
fn resources_of(h: &HostConfig, t: Touched) -> Result<LinuxResources> {
    let mut r = LinuxResources::default();
    if t.memory {
        let swap_accounting = resources::host_swap_accounting();
        let mut m = resources::memory(h, swap_accounting)?;
        if let Some(m) = &mut m {
            if h.memory_swap == -1 && swap_accounting {
                m.set_swap(Some(-1));
            }
        }
        r.set_memory(m);
    }
    if t.cpu {
        r.set_cpu(resources::cpu(h)?);
    }
    if t.pids {
        r.set_pids(resources::pids(h)?);
    }
    Ok(r)
}

impl Engine {
    /// `update`: checks, applies live when the container runs, records. Returns the
    /// container's id.
    pub fn container_update(&mut self, id_or_name: &str, req: &UpdateRequest) -> Result<String> {
        let c = self.container(id_or_name)?;
        let (host, touched) = merge(&c.id, &c.host_config, req)?;
        let res = resources_of(&host, touched)?;
        let live = is_active(&c.state.status) && c.state.status != "restarting";
        if live && (touched.memory || touched.cpu || touched.pids) {
            let r = res.clone();
            self.runtime_call(&c.id, move |l| Ok(l.cgroup().apply(&r)?))
                .map_err(|e| match e {
                    EngineError::Container { id, reason } => EngineError::InvalidParameter(
                        format!("Cannot update container {id}: {reason}"),
                    ),
                    e => e,
                })?;
        }
        self.record_resources(&c.id, &res, touched)?;
        self.db_mut().set_host_config(&c.id, &host)?;
        if req.restart_policy.is_some() {
            let run_dir = self.root().monitor_dir(&c.id);
            if run_dir.is_dir() {
                let rp = &host.restart_policy;
                let r = monitor::config::Restart {
                    name: rp.name.clone(),
                    max_retries: rp.maximum_retry_count.max(0) as u32,
                };
                r.write_override(&run_dir)
                    .map_err(|e| EngineError::io("write", run_dir.join("restart.json"), e))?;
            }
        }
        let mut c = c;
        c.host_config = host;
        self.emit_container(&c, "update", &[]);
        Ok(c.id)
    }

    /// Rewrites the touched groups of `linux.resources` in the bundle's config.json, so
    /// the next start applies them.
    fn record_resources(&self, id: &str, r: &LinuxResources, t: Touched) -> Result<()> {
        let path = self.root().container_dir(id).join("config.json");
        let text = std::fs::read(&path).map_err(|e| EngineError::io("read", &path, e))?;
        let mut spec: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| EngineError::Container {
                id: id.to_string(),
                reason: format!("parse {}: {e}", path.display()),
            })?;
        let bad = |e: serde_json::Error| EngineError::Container {
            id: id.to_string(),
            reason: format!("serialise resources: {e}"),
        };
        let Some(res) = spec
            .pointer_mut("/linux")
            .and_then(|l| l.as_object_mut())
            .map(|l| {
                l.entry("resources")
                    .or_insert_with(|| serde_json::json!({}))
            })
            .and_then(|r| r.as_object_mut())
        else {
            return Err(EngineError::Container {
                id: id.to_string(),
                reason: format!("{} has no linux section", path.display()),
            });
        };
        let groups = [
            (
                t.memory,
                "memory",
                serde_json::to_value(r.memory()).map_err(bad)?,
            ),
            (t.cpu, "cpu", serde_json::to_value(r.cpu()).map_err(bad)?),
            (t.pids, "pids", serde_json::to_value(r.pids()).map_err(bad)?),
        ];
        for (touched, key, value) in groups {
            if touched {
                if value.is_null() {
                    res.remove(key);
                } else {
                    res.insert(key.to_string(), value);
                }
            }
        }
        let out = serde_json::to_vec_pretty(&spec).map_err(bad)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, out).map_err(|e| EngineError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| EngineError::io("rename", &path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(memory: i64, swap: i64) -> HostConfig {
        HostConfig {
            memory,
            memory_swap: swap,
            ..Default::default()
        }
    }

    #[test]
    fn dockers_memory_rules() {
        let req = |m: i64, s: Option<i64>| UpdateRequest {
            memory: Some(m),
            memory_swap: s,
            ..Default::default()
        };
        // -m 64m alone: memory+swap is 128m; raising memory past it needs --memory-swap.
        let e = merge("c1", &host(64 << 20, 0), &req(200 << 20, None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cannot update container c1: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
        );
        let (h, t) = merge("c1", &host(64 << 20, 0), &req(100 << 20, None)).unwrap();
        assert!(t.memory && !t.cpu && !t.pids);
        assert_eq!((h.memory, h.memory_swap), (100 << 20, 128 << 20));
        let (h, _) = merge("c1", &host(64 << 20, 0), &req(200 << 20, Some(-1))).unwrap();
        assert_eq!((h.memory, h.memory_swap), (200 << 20, -1));
        assert!(merge("c1", &host(0, 0), &req(1 << 20, None)).is_err());
        assert!(merge("c1", &host(0, 0), &req(64 << 20, Some(32 << 20))).is_err());
        let (h, _) = merge("c1", &host(0, 0), &req(64 << 20, None)).unwrap();
        assert_eq!(h.memory, 64 << 20);
    }

    #[test]
    fn restart_and_auto_remove() {
        let mut h = host(0, 0);
        h.auto_remove = true;
        let always = UpdateRequest {
            restart_policy: Some(RestartPolicy {
                name: "always".into(),
                maximum_retry_count: 0,
            }),
            ..Default::default()
        };
        assert_eq!(
            merge("c1", &h, &always).unwrap_err().to_string(),
            "Cannot update container c1: Restart policy cannot be updated because AutoRemove is enabled for the container"
        );
        h.auto_remove = false;
        let (n, t) = merge("c1", &h, &always).unwrap();
        assert_eq!(n.restart_policy.name, "always");
        assert!(!t.memory && !t.cpu && !t.pids);
    }

    #[test]
    fn cpu_conflicts_and_pids() {
        let r = UpdateRequest {
            nano_cpus: Some(1_500_000_000),
            cpu_quota: Some(50_000),
            ..Default::default()
        };
        assert!(merge("c1", &host(0, 0), &r).is_err());
        let r = UpdateRequest {
            nano_cpus: Some(1_500_000_000),
            pids_limit: Some(20),
            ..Default::default()
        };
        let (h, t) = merge("c1", &host(0, 0), &r).unwrap();
        assert_eq!((h.nano_cpus, h.pids_limit), (1_500_000_000, Some(20)));
        let res = resources_of(&h, t).unwrap();
        assert_eq!(res.pids().as_ref().map(|p| p.limit()), Some(20));
        assert_eq!(res.cpu().as_ref().and_then(|c| c.quota()), Some(150_000));
    }
}
