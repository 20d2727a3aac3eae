//! A container's desired state in Docker's own shapes: [`ContainerConfig`] is the Engine
//! API's `Config`, [`HostConfig`] its `HostConfig`. The CLI flags and the API JSON are both
//! parsed straight into these types (DESIGN.md §2), `inspect` prints them as they are, and
//! the state database stores them as JSON. Field names are Docker's (PascalCase), so a
//! Docker client's `{{.HostConfig.Memory}}` template works unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Docker's `Config` (what the image and `create` flags decide).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerConfig {
    pub hostname: String,
    pub domainname: String,
    /// `-u`: `name`, `uid`, `name:group`, `uid:gid`. Empty = the image's `USER`.
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    /// `-p`/`EXPOSE`: keys as Docker spells them, `80/tcp`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, Empty>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    /// `KEY=value`, image's first, then `-e`/`--env-file` (later wins per key).
    pub env: Vec<String>,
    /// `None` = the image's `CMD`; `Some(vec![])` = explicitly empty.
    pub cmd: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    /// The image as the user named it (`busybox`), shown by `ps`.
    pub image: String,
    /// Anonymous volumes wanted (`VOLUME` in the image, `-v /path`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Empty>,
    pub working_dir: String,
    /// `None` = the image's `ENTRYPOINT`; `Some(vec![])` = `--entrypoint ""` (none).
    pub entrypoint: Option<Vec<String>>,
    pub labels: BTreeMap<String, String>,
    /// `--stop-signal` or the image's `STOPSIGNAL`; `None` = SIGTERM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// `--stop-timeout` seconds; `None` = 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
}

/// Docker serialises sets (`ExposedPorts`, `Volumes`) as maps to `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Docker's `HealthConfig`. Durations are nanoseconds, as in the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HealthConfig {
    /// `[]` = inherit; `["NONE"]` = disabled; `["CMD", args…]`; `["CMD-SHELL", "cmd"]`.
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i64,
}

/// Docker's `HostConfig` (what the host grants the container).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    /// `-v`: `name:/dst[:opts]`, `/src:/dst[:opts]` (anonymous `-v /dst` go to `Config.Volumes`).
    pub binds: Vec<String>,
    pub container_i_d_file: String,
    pub log_config: LogConfig,
    /// `none`, `host`, `container:NAME`, `bridge` (default), or a network name.
    pub network_mode: String,
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    pub restart_policy: RestartPolicy,
    pub auto_remove: bool,
    pub volume_driver: String,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub dns: Vec<String>,
    pub dns_options: Vec<String>,
    pub dns_search: Vec<String>,
    pub extra_hosts: Vec<String>,
    pub group_add: Vec<String>,
    /// `""`, `host`, `private`, `shareable`, `container:NAME`.
    pub ipc_mode: String,
    pub oom_score_adj: i64,
    /// `""` or `host` or `container:NAME`.
    pub pid_mode: String,
    pub privileged: bool,
    pub publish_all_ports: bool,
    pub readonly_rootfs: bool,
    /// `seccomp=unconfined`, `seccomp=/path.json`, `no-new-privileges[:true]`, `apparmor=…`, `label=…`.
    pub security_opt: Vec<String>,
    /// `--tmpfs /dst[:opts]` as a map destination → options.
    pub tmpfs: BTreeMap<String, String>,
    /// `""` or `host`.
    pub u_t_s_mode: String,
    /// `""` or `host`.
    pub userns_mode: String,
    /// Bytes; 0 = Docker's 64 MiB.
    pub shm_size: i64,
    pub sysctls: BTreeMap<String, String>,
    pub runtime: String,
    pub init: Option<bool>,
    // Resources (Docker inlines them into HostConfig).
    pub cpu_shares: i64,
    pub memory: i64,
    pub nano_cpus: i64,
    pub cgroup_parent: String,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub devices: Vec<DeviceMapping>,
    pub memory_reservation: i64,
    /// -1 = unlimited swap; 0 = unset (Docker: twice `Memory`).
    pub memory_swap: i64,
    pub pids_limit: Option<i64>,
    pub ulimits: Vec<Ulimit>,
    /// `--mount`.
    pub mounts: Vec<MountSpec>,
    pub masked_paths: Option<Vec<String>>,
    pub readonly_paths: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LogConfig {
    /// `json-file` (the default) or `none`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `max-size` (`10m`), `max-file` (`3`), …
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    /// `""`/`no`, `always`, `unless-stopped`, `on-failure`.
    pub name: String,
    pub maximum_retry_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeviceMapping {
    pub path_on_host: String,
    pub path_in_container: String,
    /// `rwm` or a subset.
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// Docker's `Mount` (`--mount type=…,source=…,target=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MountSpec {
    /// `bind`, `volume`, `tmpfs`.
    #[serde(rename = "Type")]
    pub kind: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BindOptions {
    pub propagation: String,
    pub create_mountpoint: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeOptions {
    pub no_copy: bool,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TmpfsOptions {
    pub size_bytes: i64,
    pub mode: u32,
}

/// How `create` gets its image (`--pull`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PullPolicy {
    #[default]
    Missing,
    Always,
    Never,
}

/// Everything `create` needs besides the two Docker structs.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// `--name`; `None` = a random `adjective_surname`.
    pub name: Option<String>,
    pub config: ContainerConfig,
    pub host: HostConfig,
    pub pull: PullPolicy,
    /// `--platform` (`linux/amd64`).
    pub platform: Option<String>,
    /// `--ip` and `--network-alias` (user-defined networks only).
    pub endpoint: EndpointRequest,
}

/// What the container asks of its network (Docker's `EndpointSettings`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointRequest {
    /// `--ip`.
    pub ipv4: Option<std::net::Ipv4Addr>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_field_names() {
        let mut h = HostConfig {
            memory: 64 << 20,
            ..Default::default()
        };
        h.restart_policy.name = "on-failure".into();
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["Memory"], 64 << 20);
        assert_eq!(v["RestartPolicy"]["Name"], "on-failure");
        assert_eq!(v["UTSMode"], "");
        assert_eq!(v["ContainerIDFile"], "");
        assert_eq!(v["LogConfig"]["Type"], "");
        let c: ContainerConfig = serde_json::from_str(
            r#"{"Image":"busybox","Cmd":["sh"],"ExposedPorts":{"80/tcp":{}}}"#,
        )
        .unwrap();
        assert_eq!(c.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert!(c.exposed_ports.contains_key("80/tcp"));
    }
}
