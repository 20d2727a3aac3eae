//! The clap declarations of `run`/`create`'s flags: Docker's names, short forms, hidden
//! aliases (`--net`, `--net-alias`, `--dns-opt`) and repeatability. Values stay strings
//! here; `mod.rs` checks them with Docker's words. Booleans take an optional `=VALUE`
//! (`--rm=false`, `--sig-proxy=false`), as pflag's do.

use super::error::{parse_go_bool, FlagError};

// Flags shared by `run` and `create` (Docker's `containerOptions` plus `create`'s own
// `--name`, `--pull`, `--platform`, `-q`). No doc comment here nor on `RunOnlyFlags`: it
// would become the `about` of `run`/`create`, their arguments being added late (`defer`).
#[derive(Debug, Default, clap::Args)]
pub struct CreateFlags {
    // General.
    /// Attach to STDIN, STDOUT or STDERR
    #[arg(
        short = 'a',
        long = "attach",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub attach: Vec<String>,
    /// Add a host device to the container
    #[arg(long = "device", value_name = "list", allow_hyphen_values = true)]
    pub device: Vec<String>,
    /// Set environment variables
    #[arg(
        short = 'e',
        long = "env",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "list", allow_hyphen_values = true)]
    pub env_file: Vec<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Add additional groups to join
    #[arg(long = "group-add", value_name = "list", allow_hyphen_values = true)]
    pub group_add: Vec<String>,
    /// Container host name
    #[arg(short = 'h', long, value_name = "string", allow_hyphen_values = true)]
    pub hostname: Option<String>,
    /// Container NIS domain name
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub domainname: Option<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub interactive: Option<String>,
    /// Set meta data on a container
    #[arg(
        short = 'l',
        long = "label",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file", value_name = "list", allow_hyphen_values = true)]
    pub label_file: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[arg(long = "read-only", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub read_only: Option<String>,
    /// Restart policy to apply when a container exits (default "no")
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub restart: Option<String>,
    /// Signal to stop the container
    #[arg(
        long = "stop-signal",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", value_name = "int", allow_hyphen_values = true)]
    pub stop_timeout: Option<String>,
    /// Sysctl options
    #[arg(long = "sysctl", value_name = "map", allow_hyphen_values = true)]
    pub sysctl: Vec<String>,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub tty: Option<String>,
    /// Ulimit options
    #[arg(long = "ulimit", value_name = "ulimit", allow_hyphen_values = true)]
    pub ulimit: Vec<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long, value_name = "string", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "string", allow_hyphen_values = true)]
    pub workdir: Option<String>,
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub rm: Option<String>,

    // `create`'s own.
    /// Assign a name to the container
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// Pull image before creating ("always", "missing", "never") (default "missing")
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub pull: Option<String>,
    /// Suppress the pull output
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub quiet: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(
        long,
        value_name = "string",
        env = "BERTH_DEFAULT_PLATFORM",
        allow_hyphen_values = true
    )]
    pub platform: Option<String>,
    /// Skip image verification (deprecated; berth never verifies)
    #[arg(long = "disable-content-trust", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    pub disable_content_trust: Option<String>,
    /// Bind mount Docker API socket and required auth (not supported by berth)
    #[arg(long = "use-api-socket", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    pub use_api_socket: Option<String>,

    // Security.
    /// Add Linux capabilities
    #[arg(long = "cap-add", value_name = "list", allow_hyphen_values = true)]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop", value_name = "list", allow_hyphen_values = true)]
    pub cap_drop: Vec<String>,
    /// Give extended privileges to this container
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub privileged: Option<String>,
    /// Security Options
    #[arg(long = "security-opt", value_name = "list", allow_hyphen_values = true)]
    pub security_opt: Vec<String>,
    /// User namespace to use
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub userns: Option<String>,
    /// Cgroup namespace to use (host|private) (not supported by berth)
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub cgroupns: Option<String>,

    // Network and ports.
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host", value_name = "list", allow_hyphen_values = true)]
    pub add_host: Vec<String>,
    /// Set custom DNS servers
    #[arg(long, value_name = "list", allow_hyphen_values = true)]
    pub dns: Vec<String>,
    /// Set DNS options
    #[arg(
        long = "dns-option",
        alias = "dns-opt",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search", value_name = "list", allow_hyphen_values = true)]
    pub dns_search: Vec<String>,
    /// Expose a port or a range of ports
    #[arg(long, value_name = "list", allow_hyphen_values = true)]
    pub expose: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long, value_name = "ip", allow_hyphen_values = true)]
    pub ip: Option<String>,
    /// IPv6 address (e.g., 2001:db8::33)
    #[arg(long, value_name = "ip", allow_hyphen_values = true)]
    pub ip6: Option<String>,
    /// Add link to another container (not supported by berth)
    #[arg(long, value_name = "list", allow_hyphen_values = true)]
    pub link: Vec<String>,
    /// Container IPv4/IPv6 link-local addresses (not supported by berth)
    #[arg(
        long = "link-local-ip",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub link_local_ip: Vec<String>,
    /// Container MAC address (e.g., 92:d0:c6:0a:29:33)
    #[arg(
        long = "mac-address",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub mac_address: Option<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long, value_name = "list", allow_hyphen_values = true)]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub publish_all: Option<String>,
    /// Connect a container to a network
    #[arg(
        long,
        alias = "net",
        value_name = "network",
        allow_hyphen_values = true
    )]
    pub network: Vec<String>,
    /// Add network-scoped alias for the container
    #[arg(
        long = "network-alias",
        alias = "net-alias",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub network_alias: Vec<String>,

    // Logging and storage.
    /// Logging driver for the container
    #[arg(long = "log-driver", value_name = "string", allow_hyphen_values = true)]
    pub log_driver: Option<String>,
    /// Optional volume driver for the container
    #[arg(
        long = "volume-driver",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub volume_driver: Option<String>,
    /// Log driver options
    #[arg(long = "log-opt", value_name = "list", allow_hyphen_values = true)]
    pub log_opt: Vec<String>,
    /// Storage driver options for the container (not supported by berth)
    #[arg(long = "storage-opt", value_name = "list", allow_hyphen_values = true)]
    pub storage_opt: Vec<String>,
    /// Mount a tmpfs directory
    #[arg(long, value_name = "list", allow_hyphen_values = true)]
    pub tmpfs: Vec<String>,
    /// Mount volumes from the specified container(s) (not supported by berth)
    #[arg(long = "volumes-from", value_name = "list", allow_hyphen_values = true)]
    pub volumes_from: Vec<String>,
    /// Bind mount a volume
    #[arg(short = 'v', long, value_name = "list", allow_hyphen_values = true)]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container
    #[arg(long, value_name = "mount", allow_hyphen_values = true)]
    pub mount: Vec<String>,

    // Health checks.
    /// Command to run to check health
    #[arg(long = "health-cmd", value_name = "string", allow_hyphen_values = true)]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h) (default 0s)
    #[arg(
        long = "health-interval",
        value_name = "duration",
        allow_hyphen_values = true
    )]
    pub health_interval: Option<String>,
    /// Consecutive failures needed to report unhealthy
    #[arg(
        long = "health-retries",
        value_name = "int",
        allow_hyphen_values = true
    )]
    pub health_retries: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h) (default 0s)
    #[arg(
        long = "health-timeout",
        value_name = "duration",
        allow_hyphen_values = true
    )]
    pub health_timeout: Option<String>,
    /// Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)
    #[arg(
        long = "health-start-period",
        value_name = "duration",
        allow_hyphen_values = true
    )]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (ms|s|m|h) (default 0s)
    #[arg(
        long = "health-start-interval",
        value_name = "duration",
        allow_hyphen_values = true
    )]
    pub health_start_interval: Option<String>,
    /// Disable any container-specified HEALTHCHECK
    #[arg(long = "no-healthcheck", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub no_healthcheck: Option<String>,

    // Resources.
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable (not supported by berth)
    #[arg(
        long = "blkio-weight",
        value_name = "uint16",
        allow_hyphen_values = true
    )]
    pub blkio_weight: Option<String>,
    /// Block IO weight (relative device weight) (not supported by berth)
    #[arg(
        long = "blkio-weight-device",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub blkio_weight_device: Vec<String>,
    /// Write the container ID to the file
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub cidfile: Option<String>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(
        long = "cpuset-cpus",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(
        long = "cpuset-mems",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub cpuset_mems: Option<String>,
    /// CPU count (Windows only)
    #[arg(
        long = "cpu-count",
        value_name = "int",
        hide = true,
        allow_hyphen_values = true
    )]
    pub cpu_count: Option<String>,
    /// CPU percent (Windows only)
    #[arg(
        long = "cpu-percent",
        value_name = "int",
        hide = true,
        allow_hyphen_values = true
    )]
    pub cpu_percent: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period", value_name = "int", allow_hyphen_values = true)]
    pub cpu_period: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", value_name = "int", allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// Limit CPU real-time period in microseconds (not supported by berth)
    #[arg(long = "cpu-rt-period", value_name = "int", allow_hyphen_values = true)]
    pub cpu_rt_period: Option<String>,
    /// Limit CPU real-time runtime in microseconds (not supported by berth)
    #[arg(
        long = "cpu-rt-runtime",
        value_name = "int",
        allow_hyphen_values = true
    )]
    pub cpu_rt_runtime: Option<String>,
    /// CPU shares (relative weight)
    #[arg(
        short = 'c',
        long = "cpu-shares",
        value_name = "int",
        allow_hyphen_values = true
    )]
    pub cpu_shares: Option<String>,
    /// Number of CPUs
    #[arg(long, value_name = "decimal", allow_hyphen_values = true)]
    pub cpus: Option<String>,
    /// Limit read rate (bytes per second) from a device (not supported by berth)
    #[arg(
        long = "device-read-bps",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub device_read_bps: Vec<String>,
    /// Limit read rate (IO per second) from a device (not supported by berth)
    #[arg(
        long = "device-read-iops",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub device_read_iops: Vec<String>,
    /// Limit write rate (bytes per second) to a device (not supported by berth)
    #[arg(
        long = "device-write-bps",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub device_write_bps: Vec<String>,
    /// Limit write rate (IO per second) to a device (not supported by berth)
    #[arg(
        long = "device-write-iops",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub device_write_iops: Vec<String>,
    /// Maximum IO bandwidth limit for the system drive (Windows only)
    #[arg(
        long = "io-maxbandwidth",
        value_name = "bytes",
        hide = true,
        allow_hyphen_values = true
    )]
    pub io_maxbandwidth: Option<String>,
    /// Maximum IOps limit for the system drive (Windows only)
    #[arg(
        long = "io-maxiops",
        value_name = "uint",
        hide = true,
        allow_hyphen_values = true
    )]
    pub io_maxiops: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long, value_name = "bytes", allow_hyphen_values = true)]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(
        long = "memory-reservation",
        value_name = "bytes",
        allow_hyphen_values = true
    )]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long = "memory-swap", value_name = "bytes", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Tune container memory swappiness (0 to 100) (not supported by berth)
    #[arg(
        long = "memory-swappiness",
        value_name = "int",
        allow_hyphen_values = true
    )]
    pub memory_swappiness: Option<String>,
    /// Disable OOM Killer (not supported by berth)
    #[arg(long = "oom-kill-disable", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub oom_kill_disable: Option<String>,
    /// Tune host's OOM preferences (-1000 to 1000)
    #[arg(long = "oom-score-adj", value_name = "int", allow_hyphen_values = true)]
    pub oom_score_adj: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", value_name = "int", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Kernel memory limit (deprecated, ignored)
    #[arg(
        long = "kernel-memory",
        value_name = "bytes",
        hide = true,
        allow_hyphen_values = true
    )]
    pub kernel_memory: Option<String>,

    // Low-level execution.
    /// Optional parent cgroup for the container
    #[arg(
        long = "cgroup-parent",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub cgroup_parent: Option<String>,
    /// IPC mode to use
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub ipc: Option<String>,
    /// Container isolation technology (Linux: only "default")
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub isolation: Option<String>,
    /// PID namespace to use
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub pid: Option<String>,
    /// Size of /dev/shm
    #[arg(long = "shm-size", value_name = "bytes", allow_hyphen_values = true)]
    pub shm_size: Option<String>,
    /// UTS namespace to use
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub uts: Option<String>,
    /// Runtime to use for this container
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub runtime: Option<String>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub init: Option<String>,
    /// Add an annotation to the container (passed through to the OCI runtime) (not supported by berth)
    #[arg(long, value_name = "map", allow_hyphen_values = true)]
    pub annotation: Vec<String>,
    /// Add a rule to the cgroup allowed devices list (not supported by berth)
    #[arg(
        long = "device-cgroup-rule",
        value_name = "list",
        allow_hyphen_values = true
    )]
    pub device_cgroup_rule: Vec<String>,
    /// GPU devices to add to the container (not supported by berth)
    #[arg(long, value_name = "gpu-request", allow_hyphen_values = true)]
    pub gpus: Option<String>,
}

// Flags only `run` has.
#[derive(Debug, Default, clap::Args)]
pub struct RunOnlyFlags {
    /// Run container in background and print container ID
    #[arg(short = 'd', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub detach: Option<String>,
    /// Proxy received signals to the process (default true)
    #[arg(long = "sig-proxy", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "bool")]
    pub sig_proxy: Option<String>,
    /// Override the key sequence for detaching a container
    #[arg(
        long = "detach-keys",
        value_name = "string",
        allow_hyphen_values = true
    )]
    pub detach_keys: Option<String>,
}

/// A boolean flag's value (absent = false), with pflag's error.
pub(crate) fn flag_bool(flag: &str, v: &Option<String>) -> Result<bool, FlagError> {
    match v {
        None => Ok(false),
        Some(s) => parse_go_bool(s).map_err(|e| FlagError::value(flag, s, e)),
    }
}

impl CreateFlags {
    /// Flags Docker has and berth cannot honour yet: refused when set, rather than
    /// silently dropped. Windows-only flags and deprecated no-ops are accepted as Docker
    /// on Linux accepts them.
    pub(crate) fn check_unsupported(&self) -> Result<(), FlagError> {
        let unsupported = |flag: &str| {
            Err(FlagError::invalid(format!(
                "--{flag} is not supported by berth"
            )))
        };
        let lists: [(&str, &Vec<String>); 11] = [
            ("blkio-weight-device", &self.blkio_weight_device),
            ("device-read-bps", &self.device_read_bps),
            ("device-read-iops", &self.device_read_iops),
            ("device-write-bps", &self.device_write_bps),
            ("device-write-iops", &self.device_write_iops),
            ("link", &self.link),
            ("link-local-ip", &self.link_local_ip),
            ("volumes-from", &self.volumes_from),
            ("storage-opt", &self.storage_opt),
            ("annotation", &self.annotation),
            ("device-cgroup-rule", &self.device_cgroup_rule),
        ];
        for (flag, v) in lists {
            if !v.is_empty() {
                return unsupported(flag);
            }
        }
        if let Some(w) = &self.blkio_weight {
            if w != "0" {
                return unsupported("blkio-weight");
            }
        }
        for (flag, v) in [
            ("cpu-rt-period", &self.cpu_rt_period),
            ("cpu-rt-runtime", &self.cpu_rt_runtime),
        ] {
            if v.as_deref().is_some_and(|v| v != "0") {
                return unsupported(flag);
            }
        }
        if let Some(s) = &self.memory_swappiness {
            let n = super::ulimits::parse_decimal(s)
                .map_err(|e| FlagError::value("--memory-swappiness", s, e))?;
            if n != -1 && !(0..=100).contains(&n) {
                return Err(FlagError::invalid(format!(
                    "invalid value: {n}. Valid memory swappiness range is 0-100"
                )));
            }
            if n != -1 {
                return unsupported("memory-swappiness");
            }
        }
        if flag_bool("--oom-kill-disable", &self.oom_kill_disable)? {
            return unsupported("oom-kill-disable");
        }
        if flag_bool("--use-api-socket", &self.use_api_socket)? {
            return unsupported("use-api-socket");
        }
        if self.gpus.is_some() {
            return unsupported("gpus");
        }
        if let Some(c) = &self.cgroupns {
            super::namespaces::validate_cgroupns(c)?;
            if !c.is_empty() {
                return unsupported("cgroupns");
            }
        }
        if let Some(i) = &self.isolation {
            if !matches!(i.to_lowercase().as_str(), "" | "default") {
                return Err(FlagError::daemon(format!(
                    "Invalid isolation: {i} - Linux only supports 'default'"
                )));
            }
        }
        Ok(())
    }
}
