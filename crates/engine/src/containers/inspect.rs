//! `inspect`: Docker's JSON for the fields users script against (`State`, `Config`,
//! `HostConfig`, `Mounts`, `NetworkSettings`, paths), in Docker's key order.

use serde_json::{json, Value};

use super::lifecycle::log_path;
use super::state::monitor_state;
use crate::db::ContainerRecord;
use crate::error::Result;
use crate::Engine;

impl Engine {
    /// Docker's `ContainerJSON` for one container.
    pub fn container_inspect(&mut self, id_or_name: &str) -> Result<Value> {
        let c = self.container(id_or_name)?;
        Ok(self.inspect_json(&c))
    }

    pub(crate) fn inspect_json(&self, c: &ContainerRecord) -> Value {
        let dir = self.root().container_dir(&c.id);
        let s = &c.state;
        let mon = monitor_state(self, &c.id);
        let health = mon
            .as_ref()
            .and_then(|m| m.health.as_ref())
            .and_then(|h| serde_json::to_value(h).ok());
        let mut state = json!({
            "Status": s.status,
            "Running": matches!(s.status.as_str(), "running" | "paused" | "restarting"),
            "Paused": s.status == "paused",
            "Restarting": s.status == "restarting",
            "OOMKilled": mon.as_ref().is_some_and(|m| m.oom_killed),
            "Dead": s.status == "dead",
            "Pid": s.pid,
            "ExitCode": s.exit_code,
            "Error": s.error,
            "StartedAt": or_zero(&s.started_at),
            "FinishedAt": or_zero(&s.finished_at),
        });
        if let (Some(h), Some(o)) = (health, state.as_object_mut()) {
            o.insert("Health".into(), h);
        }
        let (path, args) = match c
            .config
            .entrypoint
            .iter()
            .flatten()
            .chain(c.config.cmd.iter().flatten())
            .cloned()
            .collect::<Vec<_>>()
            .split_first()
        {
            Some((p, a)) => (p.clone(), a.to_vec()),
            None => (String::new(), Vec::new()),
        };
        let volumes = self.db().container_volumes(&c.id).unwrap_or_default();
        let mut mounts: Vec<Value> = volumes
            .iter()
            .map(|v| {
                json!({
                    "Type": "volume",
                    "Name": v.volume,
                    "Source": self.volume_data(&v.volume),
                    "Destination": v.destination,
                    "Driver": "local",
                    "Mode": "",
                    "RW": true,
                    "Propagation": "",
                })
            })
            .collect();
        for b in &c.host_config.binds {
            let parts: Vec<&str> = b.split(':').collect();
            if parts.len() >= 2 && parts[0].starts_with('/') {
                let mode = parts.get(2).copied().unwrap_or("");
                mounts.push(json!({
                    "Type": "bind",
                    "Source": parts[0],
                    "Destination": parts[1],
                    "Mode": mode,
                    "RW": !mode.split(',').any(|m| m == "ro"),
                    "Propagation": "rprivate",
                }));
            }
        }
        let driver = self.snapshotter().map(|s| s.name()).unwrap_or("overlay");
        let upper = self
            .snapshotter()
            .and_then(|s| {
                s.upper_dir(&c.id).map_err(|e| crate::EngineError::Storage {
                    layer: c.id.clone(),
                    source: e,
                })
            })
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        json!({
            "Id": c.id,
            "Created": c.created,
            "Path": path,
            "Args": args,
            "State": state,
            "Image": c.image_id,
            "ResolvConfPath": dir.join("resolv.conf"),
            "HostnamePath": dir.join("hostname"),
            "HostsPath": dir.join("hosts"),
            "LogPath": if c.host_config.log_config.kind == "none" { String::new() } else { log_path(&dir, &c.id).display().to_string() },
            "Name": format!("/{}", c.name),
            "RestartCount": s.restart_count,
            "Driver": driver,
            "Platform": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "ExecIDs": Value::Null,
            "HostConfig": c.host_config,
            "GraphDriver": {"Data": {"UpperDir": upper}, "Name": driver},
            "Mounts": mounts,
            "Config": c.config,
            "NetworkSettings": self.network_settings(c),
        })
    }
}

/// Docker's zero time for a state time never set.
fn or_zero(t: &str) -> &str {
    if t.is_empty() {
        "0001-01-01T00:00:00Z"
    } else {
        t
    }
}
