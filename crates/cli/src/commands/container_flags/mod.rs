//! Every flag of `docker run` / `docker create`, with Docker's names, short forms, value
//! syntax, defaults and error messages, parsed into berth's [`CreateRequest`].
//!
//! `run` flattens [`CreateFlags`] and [`RunOnlyFlags`], `create` only [`CreateFlags`]. Both
//! must turn clap's own `-h` help off (`-h` is `--hostname`, as in Docker) and keep
//! `--help`; see `tests::TestCmd`. Values are taken as strings and checked here, so that a
//! bad value gets Docker's words (`invalid argument "abc" for "-m, --memory" flag: …`)
//! rather than clap's.

mod args;
mod devices;
pub(crate) mod env;
pub(crate) mod error;
mod health;
mod logging;
mod mount_csv;
mod mounts;
mod namespaces;
mod network;
mod ports;
pub(crate) mod restart;
mod security;
mod signal;
mod ulimits;
pub(crate) mod units;

use std::path::{Path, PathBuf};

use engine::containers::{ContainerConfig, CreateRequest, HostConfig, PullPolicy};

pub use args::{CreateFlags, RunOnlyFlags};
pub use env::Lookup;
pub use error::FlagError;
pub use network::Endpoint;

use args::flag_bool;
use error::parse_go_int;

/// The parsed command line of `run`/`create`.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub request: CreateRequest,
    /// `--cidfile`: where to write the new container's ID (also in
    /// `HostConfig.ContainerIDFile`, as Docker stores it).
    pub cidfile: Option<PathBuf>,
    /// `--detach-keys` (`run` only, set by [`RunOnlyFlags::apply`]).
    pub detach_keys: Option<String>,
    /// `-d` (`run` only; `false` for `create`).
    pub detach: bool,
    /// `--sig-proxy` (`run` only; default true).
    pub sig_proxy: bool,
    /// `-a/--attach` streams as given, lowercased (`stdin`, `stdout`, `stderr`).
    pub attach: Vec<String>,
    /// `-q/--quiet`: no pull progress.
    pub quiet: bool,
    /// `--network-alias`, `--ip`, `--ip6`, `--mac-address`, further `--network`s.
    pub endpoint: Endpoint,
}

impl CreateFlags {
    /// `image` and `args` are the positional IMAGE [COMMAND] [ARG...]. Bare `-e KEY` and
    /// `--env-file` keys read berth's environment; `-v ./x` is relative to the current
    /// directory.
    pub fn into_request(self, image: String, args: Vec<String>) -> Result<Parsed, FlagError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let lookup = |k: &str| std::env::var(k).ok();
        self.into_request_in(image, args, &lookup, &cwd)
    }

    /// [`CreateFlags::into_request`] with the environment and directory given.
    pub fn into_request_in(
        self,
        image: String,
        args: Vec<String>,
        lookup: Lookup<'_>,
        cwd: &Path,
    ) -> Result<Parsed, FlagError> {
        let f = self;
        f.check_unsupported()?;

        let interactive = flag_bool("-i, --interactive", &f.interactive)?;
        let tty = flag_bool("-t, --tty", &f.tty)?;
        let auto_remove = flag_bool("--rm", &f.rm)?;
        let read_only = flag_bool("--read-only", &f.read_only)?;
        let privileged = flag_bool("--privileged", &f.privileged)?;
        let publish_all = flag_bool("-P, --publish-all", &f.publish_all)?;
        let no_healthcheck = flag_bool("--no-healthcheck", &f.no_healthcheck)?;
        let quiet = flag_bool("-q, --quiet", &f.quiet)?;
        let init = match &f.init {
            Some(_) => Some(flag_bool("--init", &f.init)?),
            None => None,
        };

        let mut attach = Vec::new();
        for a in &f.attach {
            let s = a.to_lowercase();
            if !matches!(s.as_str(), "stdin" | "stdout" | "stderr") {
                return Err(FlagError::value(
                    "-a, --attach",
                    a,
                    "valid streams are STDIN, STDOUT and STDERR",
                ));
            }
            attach.push(s);
        }

        // Values checked as pflag would, in the order Docker's flag set declares them.
        let int = |flag: &str, v: &Option<String>| -> Result<i64, FlagError> {
            match v {
                Some(v) => parse_go_int(v).map_err(|e| FlagError::value(flag, v, e)),
                None => Ok(0),
            }
        };
        let size = |flag: &str, v: &Option<String>| -> Result<i64, FlagError> {
            match v {
                Some(v) => units::ram_in_bytes(v).map_err(|e| FlagError::value(flag, v, e)),
                None => Ok(0),
            }
        };
        let memory = size("-m, --memory", &f.memory)?;
        let memory_reservation = size("--memory-reservation", &f.memory_reservation)?;
        let memory_swap = match f.memory_swap.as_deref() {
            Some("-1") => -1,
            _ => size("--memory-swap", &f.memory_swap)?,
        };
        let shm_size = size("--shm-size", &f.shm_size)?;
        let nano_cpus = match &f.cpus {
            Some(v) => units::parse_cpus(v).map_err(|e| FlagError::value("--cpus", v, e))?,
            None => 0,
        };
        let cpu_shares = int("-c, --cpu-shares", &f.cpu_shares)?;
        let cpu_period = int("--cpu-period", &f.cpu_period)?;
        let cpu_quota = int("--cpu-quota", &f.cpu_quota)?;
        let oom_score_adj = int("--oom-score-adj", &f.oom_score_adj)?;
        let pids_limit = match &f.pids_limit {
            Some(_) => Some(int("--pids-limit", &f.pids_limit)?),
            None => None,
        };
        let stop_timeout = match &f.stop_timeout {
            Some(_) => Some(int("--stop-timeout", &f.stop_timeout)?),
            None => None,
        };
        let health_retries = match &f.health_retries {
            Some(_) => Some(int("--health-retries", &f.health_retries)?),
            None => None,
        };

        let mut env = Vec::new();
        for e in &f.env {
            if let Some(e) = env::parse_env_flag(e, lookup)? {
                env.push(e);
            }
        }
        for l in &f.label {
            env::validate_label(l)?;
        }
        let dns = f
            .dns
            .iter()
            .map(|d| network::parse_dns(d))
            .collect::<Result<Vec<_>, _>>()?;
        let dns_search = f
            .dns_search
            .iter()
            .map(|d| network::parse_dns_search(d))
            .collect::<Result<Vec<_>, _>>()?;
        let extra_hosts = f
            .add_host
            .iter()
            .map(|h| network::parse_add_host(h))
            .collect::<Result<Vec<_>, _>>()?;
        let ipv4 = match &f.ip {
            Some(ip) => match network::parse_ip("--ip", ip)? {
                std::net::IpAddr::V4(v4) => Some(v4),
                // Docker drops an IPv6 address given to --ip.
                std::net::IpAddr::V6(_) => None,
            },
            None => None,
        };
        let ipv6 = match &f.ip6 {
            Some(ip) => match network::parse_ip("--ip6", ip)? {
                std::net::IpAddr::V6(v6) => Some(v6),
                std::net::IpAddr::V4(v4) => Some(v4.to_ipv6_mapped()),
            },
            None => None,
        };
        let mut sysctls = std::collections::BTreeMap::new();
        for s in &f.sysctl {
            let (k, v) = s
                .split_once('=')
                .filter(|(k, _)| !k.is_empty() && sysctl_allowed(k))
                .ok_or_else(|| {
                    FlagError::value("--sysctl", s, format!("sysctl '{s}' is not allowed"))
                })?;
            sysctls.insert(k.to_string(), v.to_string());
        }
        let ulimits = ulimits::parse_ulimits(&f.ulimit)?;
        let mut mounts = Vec::new();
        for m in &f.mount {
            mounts.push(mount_csv::parse_mount(m, cwd)?);
        }
        let health = health::parse_health(&health::HealthFlags {
            cmd: f.health_cmd.as_deref(),
            interval: f.health_interval.as_deref(),
            timeout: f.health_timeout.as_deref(),
            start_period: f.health_start_period.as_deref(),
            start_interval: f.health_start_interval.as_deref(),
            retries: health_retries,
            disabled: no_healthcheck,
        })?;
        let pull = match f.pull.as_deref() {
            None | Some("") | Some("missing") => PullPolicy::Missing,
            Some("always") => PullPolicy::Always,
            Some("never") => PullPolicy::Never,
            Some(other) => {
                return Err(FlagError::invalid(format!(
                    "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
                )))
            }
        };

        // What Docker's `parse()` checks once all flags are read, in its order.
        if let Some(mac) = &f.mac_address {
            network::validate_mac(mac)?;
        }
        let volumes = mounts::parse_volumes(&f.volume, cwd)?;
        let tmpfs = mounts::parse_tmpfs(&f.tmpfs)?;
        let entrypoint = f
            .entrypoint
            .map(|e| if e.is_empty() { Vec::new() } else { vec![e] });
        let published = ports::parse_publish(&f.publish)?;
        let mut exposed = published.exposed;
        ports::parse_expose(&f.expose, &mut exposed)?;
        let devices = f
            .device
            .iter()
            .map(|d| devices::parse_device(d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut env_all = Vec::new();
        for file in &f.env_file {
            env_all.extend(env::read_kv_file("--env-file", file, Some(lookup))?);
        }
        env_all.extend(env);
        let mut labels_all = Vec::new();
        for file in &f.label_file {
            labels_all.extend(env::read_kv_file("--label-file", file, None)?);
        }
        labels_all.extend(f.label.iter().cloned());
        let pid_mode = f.pid.unwrap_or_default();
        namespaces::validate_pid(&pid_mode)?;
        let uts_mode = f.uts.unwrap_or_default();
        namespaces::validate_uts(&uts_mode)?;
        let userns_mode = f.userns.unwrap_or_default();
        namespaces::validate_userns(&userns_mode)?;
        let restart_policy = restart::parse_restart(f.restart.as_deref().unwrap_or(""))?;
        let log_config = logging::parse_logging(f.log_driver.as_deref().unwrap_or(""), &f.log_opt)?;
        let security = security::parse_security_opts(&f.security_opt)?;
        if auto_remove && !restart::is_none(&restart_policy) {
            return Err(FlagError::invalid(
                "conflicting options: cannot specify both --restart and --rm",
            ));
        }

        let network_mode = f.network.first().cloned().unwrap_or_default();
        for n in &f.network {
            if n.trim().is_empty() {
                return Err(FlagError::invalid("no name set for network"));
            }
        }
        let target = if network_mode.is_empty() {
            "default"
        } else {
            network_mode.as_str()
        };
        if !f.network_alias.is_empty() && !network::is_user_defined(target) {
            return Err(FlagError::invalid(
                "network-scoped aliases are only supported for user-defined networks",
            ));
        }
        let endpoint = Endpoint {
            aliases: f.network_alias.clone(),
            ipv4_address: ipv4,
            ipv6_address: ipv6,
            mac_address: f.mac_address.clone(),
            extra_networks: f.network.iter().skip(1).cloned().collect(),
        };

        // What Docker's daemon refuses at create.
        if let Some(name) = &f.name {
            validate_name(name)?;
        }
        let working_dir = f.workdir.unwrap_or_default();
        if !working_dir.is_empty() && !working_dir.starts_with('/') {
            return Err(FlagError::daemon(format!(
                "the working directory '{working_dir}' is invalid, it needs to be an absolute path"
            )));
        }
        let ipc_mode = f.ipc.unwrap_or_default();
        namespaces::validate_ipc(&ipc_mode)?;
        if let Some(sig) = &f.stop_signal {
            signal::validate_signal(sig)?;
        }
        security::validate_caps("CapAdd", &f.cap_add)?;
        security::validate_caps("CapDrop", &f.cap_drop)?;
        check_resources(
            memory,
            memory_swap,
            memory_reservation,
            nano_cpus,
            cpu_period,
            cpu_quota,
        )?;
        if !(-1000..=1000).contains(&oom_score_adj) {
            return Err(FlagError::daemon(format!(
                "Invalid value {oom_score_adj}, range for oom score adj is [-1000, 1000]"
            )));
        }

        // Docker's defaults for what is attached.
        let attach_stdin = interactive || attach.iter().any(|a| a == "stdin");
        let (attach_stdout, attach_stderr) = if attach.is_empty() {
            (true, true)
        } else {
            (
                attach.iter().any(|a| a == "stdout"),
                attach.iter().any(|a| a == "stderr"),
            )
        };

        let cidfile = f.cidfile.filter(|c| !c.is_empty());
        let config = ContainerConfig {
            hostname: f.hostname.unwrap_or_default(),
            domainname: f.domainname.unwrap_or_default(),
            user: f.user.unwrap_or_default(),
            attach_stdin,
            attach_stdout,
            attach_stderr,
            exposed_ports: exposed,
            tty,
            open_stdin: interactive,
            stdin_once: interactive && attach_stdin,
            env: env_all,
            cmd: if args.is_empty() { None } else { Some(args) },
            healthcheck: health,
            image,
            volumes: volumes.anonymous,
            working_dir,
            entrypoint,
            labels: env::to_map(&labels_all),
            stop_signal: f.stop_signal.filter(|s| !s.is_empty()),
            stop_timeout,
        };
        let host = HostConfig {
            binds: volumes.binds,
            container_i_d_file: cidfile.clone().unwrap_or_default(),
            log_config,
            network_mode,
            port_bindings: published.bindings,
            restart_policy,
            auto_remove,
            volume_driver: f.volume_driver.unwrap_or_default(),
            cap_add: f.cap_add,
            cap_drop: f.cap_drop,
            dns,
            dns_options: f.dns_option,
            dns_search,
            extra_hosts,
            group_add: f.group_add,
            ipc_mode,
            oom_score_adj,
            pid_mode,
            privileged,
            publish_all_ports: publish_all,
            readonly_rootfs: read_only,
            security_opt: security.opts,
            tmpfs,
            u_t_s_mode: uts_mode,
            userns_mode,
            shm_size,
            sysctls,
            runtime: f.runtime.unwrap_or_default(),
            init,
            cpu_shares,
            memory,
            nano_cpus,
            cgroup_parent: f.cgroup_parent.unwrap_or_default(),
            cpu_period,
            cpu_quota,
            cpuset_cpus: f.cpuset_cpus.unwrap_or_default(),
            cpuset_mems: f.cpuset_mems.unwrap_or_default(),
            devices,
            memory_reservation,
            memory_swap,
            pids_limit,
            ulimits,
            mounts,
            masked_paths: security.masked_paths,
            readonly_paths: security.readonly_paths,
        };
        Ok(Parsed {
            request: CreateRequest {
                name: f.name.filter(|n| !n.is_empty()),
                config,
                host,
                pull,
                platform: f.platform.filter(|p| !p.is_empty()),
                ..Default::default()
            },
            cidfile: cidfile.map(PathBuf::from),
            detach_keys: None,
            detach: false,
            sig_proxy: true,
            attach,
            quiet,
            endpoint,
        })
    }
}

impl RunOnlyFlags {
    /// Applies `-d`, `--sig-proxy` and `--detach-keys` to what
    /// [`CreateFlags::into_request`] made: a detached container attaches nothing.
    pub fn apply(&self, p: &mut Parsed) -> Result<(), FlagError> {
        let detach = flag_bool("-d, --detach", &self.detach)?;
        let sig_proxy = match &self.sig_proxy {
            Some(_) => flag_bool("--sig-proxy", &self.sig_proxy)?,
            None => true,
        };
        if detach {
            if !p.attach.is_empty() {
                return Err(FlagError::invalid(
                    "conflicting options: cannot specify both --attach and --detach",
                ));
            }
            let c = &mut p.request.config;
            c.attach_stdin = false;
            c.attach_stdout = false;
            c.attach_stderr = false;
            c.stdin_once = false;
        }
        p.detach = detach;
        p.sig_proxy = sig_proxy;
        p.detach_keys = self.detach_keys.clone().filter(|k| !k.is_empty());
        Ok(())
    }
}

/// Docker's container name rule, `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (a leading `/` allowed).
fn validate_name(name: &str) -> Result<(), FlagError> {
    let n = name.strip_prefix('/').unwrap_or(name);
    let mut chars = n.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(FlagError::daemon(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )))
    }
}

/// Docker's `ValidateSysctl`: IPC sysctls and the `net.` and `fs.mqueue.` namespaces.
fn sysctl_allowed(key: &str) -> bool {
    matches!(
        key,
        "kernel.msgmax"
            | "kernel.msgmnb"
            | "kernel.msgmni"
            | "kernel.sem"
            | "kernel.shmall"
            | "kernel.shmmax"
            | "kernel.shmmni"
            | "kernel.shm_rmid_forced"
    ) || key.starts_with("net.")
        || key.starts_with("fs.mqueue.")
}

/// The daemon's resource checks that need no knowledge of the host.
fn check_resources(
    memory: i64,
    swap: i64,
    reservation: i64,
    nano_cpus: i64,
    period: i64,
    quota: i64,
) -> Result<(), FlagError> {
    const MIN: i64 = 6 * 1024 * 1024;
    if memory != 0 && memory < MIN {
        return Err(FlagError::daemon("Minimum memory limit allowed is 6MB"));
    }
    if swap > 0 && memory == 0 {
        return Err(FlagError::daemon(
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ));
    }
    if memory > 0 && swap > 0 && swap < memory {
        return Err(FlagError::daemon(
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ));
    }
    if reservation != 0 && reservation < MIN {
        return Err(FlagError::daemon(
            "Minimum memory reservation allowed is 6MB",
        ));
    }
    if memory > 0 && reservation > 0 && memory < reservation {
        return Err(FlagError::daemon(
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ));
    }
    if nano_cpus > 0 && period > 0 {
        return Err(FlagError::daemon(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ));
    }
    if nano_cpus > 0 && quota > 0 {
        return Err(FlagError::daemon(
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ));
    }
    if nano_cpus < 0 {
        return Err(FlagError::daemon(
            "Range of CPUs is from 0.01 to the number of CPUs available",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
