//! The OCI spec builder: Docker's `Config` + `HostConfig` + the image's config → the
//! `oci_spec::runtime::Spec` berth's runtime runs, with Docker's defaults (moby
//! `daemon/oci_linux.go` `createSpec`).
//!
//! | file | concern |
//! |---|---|
//! | [`process`] | merging the image's config, args, env, cwd |
//! | [`user`] | `-u` against the image's `/etc/passwd` and `/etc/group` |
//! | [`caps`] | default capabilities, `--cap-add`/`--cap-drop`, privileged |
//! | [`defaults`] | kernel filesystems, masked/read-only paths, device rules, `PATH` |
//! | [`mounts`] | `-v`, `--mount`, `--tmpfs`, `VOLUME` → [`MountRequest`]s |
//! | [`tmpfs`] | tmpfs options: `--mount` data, Docker's merge |
//! | [`oci_mounts`] | the spec's ordered `mounts` |
//! | [`resources`] | memory, cpu, pids, ulimits |
//! | [`devices`] | `--device`, privileged host devices |
//! | [`namespaces`] | which namespaces are new, shared or joined |
//! | [`security`] | `--security-opt` |
//! | [`seccomp`], [`seccomp_default`] | Docker's profile format, its default profile |
//! | [`etc_files`] | `/etc/hosts`, `/etc/resolv.conf`, hostname content |
//!
//! Departures from Docker (each with its reason):
//! - no time namespace (moby adds one on kernels ≥ 5.6 since 2025; runc-era Docker did not,
//!   and berth's runtime and tests expect the classic set);
//! - `Entrypoint: []` from the API is treated like the CLI's `--entrypoint ""` (`[""]`): no
//!   entrypoint and no inherited `CMD` (Docker inherits `CMD` for `[]`; berth's
//!   `ContainerConfig` has one spelling for "explicitly none");
//! - no AppArmor `docker-default` profile (berth installs none): `apparmor=` only when given;
//!   `label=` parts go to the `dev.berth.selinux.label` annotation, not `selinuxLabel`;
//! - `--ipc container:X` joins the namespace but `/dev/shm` stays the container's own unless
//!   the engine passes a `/dev/shm` bind in `mounts` (Docker binds the other's shm dir);
//! - read-only binds use `ro`, never Docker's recursive `rro`;
//! - capabilities serialise in hash order (oci-spec's `HashSet`).

pub mod caps;
pub mod defaults;
pub mod devices;
pub mod error;
pub mod etc_files;
pub mod mounts;
pub mod namespaces;
pub mod oci_mounts;
pub mod process;
pub mod resources;
pub mod seccomp;
pub mod seccomp_default;
pub mod security;
pub mod tmpfs;
pub mod user;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use image::oci_spec::image::ImageConfiguration;
use oci_spec::runtime::{
    Capabilities, Linux, LinuxCapabilities, LinuxResources, Process, Root, Spec, User,
};
use serde::Serialize;

use crate::containers::config::{ContainerConfig, HostConfig};

pub use error::SpecError;
pub use etc_files::{
    default_hostname, host_resolv_conf, hosts_file, hosts_file_with_address, resolv_conf,
};
pub use mounts::{plan_mounts, MountRequest, MountSource, PlannedKind, PlannedMount};
pub use namespaces::{NamespacePaths, NsMode};
pub use process::merge_image_config;

/// The OCI version berth's specs declare.
pub const OCI_VERSION: &str = "1.0.2";
/// Annotation carrying the rootfs overlay the runtime mounts inside the container.
pub const ROOTFS_MOUNT_ANNOTATION: &str = "dev.berth.rootfs.mount";
/// Annotation asking the runtime for an init process (`--init`).
pub const INIT_ANNOTATION: &str = "dev.berth.init";
/// Annotation carrying `--security-opt label=…` parts (JSON list) for SELinux.
pub const LABEL_ANNOTATION: &str = "dev.berth.selinux.label";

/// Host paths of the files the engine writes for the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcFiles {
    pub hostname: PathBuf,
    pub hosts: PathBuf,
    pub resolv_conf: PathBuf,
}

/// Everything [`build`] needs.
pub struct SpecInput<'a> {
    pub id: &'a str,
    /// As the user gave it (not yet merged with the image).
    pub config: &'a ContainerConfig,
    pub host: &'a HostConfig,
    pub image: &'a ImageConfiguration,
    /// The bundle's rootfs directory (`root.path`).
    pub rootfs: &'a Path,
    /// The overlay to mount onto the rootfs inside the container.
    pub rootfs_mount: Option<&'a storage::snapshot::Mount>,
    /// Unpacked image layers, lowest first (for `/etc/passwd`, `/etc/group`).
    pub layer_dirs: &'a [PathBuf],
    pub files: &'a EtcFiles,
    /// From [`plan_mounts`], with volumes resolved to host directories.
    pub mounts: &'a [PlannedMount],
    pub namespaces: &'a NamespacePaths,
    /// e.g. `/berth/<id>`.
    pub cgroups_path: String,
}

/// What [`build`] reads from the host, gathered once so the rest is a pure function.
#[derive(Debug, Clone)]
pub struct HostFacts {
    /// `/proc/sys/kernel/cap_last_cap`.
    pub cap_last_cap: Option<u32>,
    /// Docker's architecture name (`amd64`).
    pub arch: &'static str,
    pub kernel: Option<(u64, u64)>,
    /// `/sys/fs/cgroup` is cgroup2 (cgroup namespaces are private there).
    pub cgroup2: bool,
    /// The memory cgroup can limit swap.
    pub swap_accounting: bool,
    /// The host's `/sys` (for the thermal_throttle masked paths) and `/dev` (privileged).
    pub sys: PathBuf,
    pub dev: PathBuf,
    /// `/proc/sys` (which default sysctls exist).
    pub proc_sys: PathBuf,
    /// The host's name, for `HOSTNAME` with `--uts host` when the config has none.
    pub hostname: String,
}

impl HostFacts {
    /// Reads the running host.
    pub fn probe() -> Self {
        Self {
            cap_last_cap: caps::host_cap_last_cap(),
            arch: seccomp::native_arch(),
            kernel: seccomp::host_kernel(),
            cgroup2: namespaces::host_is_cgroup2(),
            swap_accounting: resources::host_swap_accounting(),
            sys: "/sys".into(),
            dev: "/dev".into(),
            proc_sys: "/proc/sys".into(),
            hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_default(),
        }
    }
}

/// `dev.berth.rootfs.mount`'s JSON.
#[derive(Serialize)]
struct RootfsMountAnnotation<'a> {
    #[serde(rename = "type")]
    fs_type: &'a str,
    source: &'a Path,
    options: &'a [String],
    cwd: Option<&'a Path>,
}

/// Builds the container's spec on this host.
pub fn build(input: &SpecInput) -> Result<Spec, SpecError> {
    build_with(input, &HostFacts::probe())
}

/// [`build`] with the host's facts given (tests, or a caller that probed once).
pub fn build_with(input: &SpecInput, facts: &HostFacts) -> Result<Spec, SpecError> {
    let host = input.host;
    let merged = merge_image_config(input.config, input.image);
    let args = process::args(&merged)?;
    let sec = security::parse(&host.security_opt)?;
    let uts_host = input.namespaces.uts == NsMode::Host;
    let hostname = if !merged.hostname.is_empty() {
        merged.hostname.clone()
    } else if uts_host {
        facts.hostname.clone()
    } else {
        default_hostname(input.id)
    };

    // process
    let cap_names = caps::tweak(
        &host.cap_add,
        &host.cap_drop,
        host.privileged,
        facts.cap_last_cap,
    )?;
    let cap_set: Capabilities = cap_names
        .iter()
        .filter_map(|c| caps::capability(c))
        .collect();
    let mut capabilities = LinuxCapabilities::default();
    capabilities.set_bounding(Some(cap_set.clone()));
    capabilities.set_effective(Some(cap_set.clone()));
    capabilities.set_permitted(Some(cap_set));
    capabilities.set_inheritable(None);
    capabilities.set_ambient(None);

    let resolved = user::resolve_in_layers(&merged.user, &host.group_add, input.layer_dirs)?;
    let mut user = User::default();
    user.set_uid(resolved.uid);
    user.set_gid(resolved.gid);
    user.set_additional_gids(Some(resolved.additional_gids));

    let rlimits = resources::rlimits(&host.ulimits)?;
    let mut process = Process::default();
    process.set_terminal(Some(merged.tty));
    process.set_console_size(None);
    process.set_user(user);
    process.set_args(Some(args));
    process.set_command_line(None);
    process.set_env(Some(process::environment(
        &merged.env,
        &hostname,
        merged.tty,
    )));
    process.set_cwd(PathBuf::from(process::cwd(&merged)));
    process.set_capabilities(Some(capabilities));
    process.set_rlimits(if rlimits.is_empty() {
        None
    } else {
        Some(rlimits)
    });
    process.set_no_new_privileges(sec.no_new_privileges.then_some(true));
    process.set_apparmor_profile(sec.apparmor.clone());
    process.set_oom_score_adj(Some(
        i32::try_from(host.oom_score_adj.clamp(-1000, 1000)).unwrap_or(0),
    ));
    process.set_selinux_label(None);
    process.set_io_priority(None);
    process.set_scheduler(None);
    process.set_exec_cpu_affinity(None);

    // root and mounts
    let mut root = Root::default();
    root.set_path(input.rootfs.to_path_buf());
    root.set_readonly(Some(host.readonly_rootfs));
    let (mounts, rootfs_propagation) = oci_mounts::oci_mounts(&oci_mounts::MountsInput {
        shm_size: host.shm_size,
        ipc_none: host.ipc_mode == "none",
        ipc_host: input.namespaces.ipc == NsMode::Host,
        readonly_rootfs: host.readonly_rootfs,
        privileged: host.privileged,
        writable_cgroups: sec.writable_cgroups,
        files: input.files,
        planned: input.mounts,
    })?;

    // linux
    let linux = linux(input, facts, &sec, &cap_names, rootfs_propagation)?;

    let mut annotations = HashMap::new();
    if let Some(m) = input.rootfs_mount {
        let json = serde_json::to_string(&RootfsMountAnnotation {
            fs_type: &m.fs_type,
            source: &m.source,
            options: &m.options,
            cwd: m.cwd.as_deref(),
        })
        .map_err(SpecError::Annotation)?;
        annotations.insert(ROOTFS_MOUNT_ANNOTATION.to_string(), json);
    }
    // Docker adds its init only where it is pid 1 of a new pid namespace.
    if host.init == Some(true) && input.namespaces.pid == NsMode::Private {
        annotations.insert(INIT_ANNOTATION.to_string(), "true".to_string());
    }
    let labels: Vec<&String> = sec.labels.iter().filter(|l| *l != "disable").collect();
    if !labels.is_empty() {
        annotations.insert(
            LABEL_ANNOTATION.to_string(),
            serde_json::to_string(&labels).map_err(SpecError::Annotation)?,
        );
    }

    let mut spec = Spec::default();
    spec.set_version(OCI_VERSION.to_string());
    spec.set_process(Some(process));
    spec.set_root(Some(root));
    spec.set_hostname(if uts_host { None } else { Some(hostname) });
    spec.set_domainname(if uts_host || merged.domainname.is_empty() {
        None
    } else {
        Some(merged.domainname.clone())
    });
    spec.set_mounts(Some(mounts));
    spec.set_hooks(None);
    spec.set_annotations(if annotations.is_empty() {
        None
    } else {
        Some(annotations)
    });
    spec.set_linux(Some(linux));
    Ok(spec)
}

/// Default sysctls Docker sets in a new network namespace, when the kernel has them.
fn default_sysctls(proc_sys: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in [
        ("net.ipv4.ping_group_range", "0 2147483647"),
        ("net.ipv4.ip_unprivileged_port_start", "0"),
    ] {
        if proc_sys.join(k.replace('.', "/")).exists() {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

fn linux(
    input: &SpecInput,
    facts: &HostFacts,
    sec: &security::SecurityOpts,
    cap_names: &[String],
    rootfs_propagation: Option<String>,
) -> Result<Linux, SpecError> {
    let host = input.host;
    let mut resources = LinuxResources::default();
    let mut devices = Vec::new();
    let mut rules = defaults::device_rules()?;
    if host.privileged {
        devices = devices::host_devices(&facts.dev)?;
        for d in &host.devices {
            if d.path_on_host == d.path_in_container || d.path_in_container.is_empty() {
                continue;
            }
            devices.extend(
                devices::devices_from_path(&d.path_on_host, &d.path_in_container, "rwm")?.0,
            );
        }
        rules = defaults::device_rules_privileged()?;
    } else {
        for d in &host.devices {
            let (devs, perms) = devices::devices_from_path(
                &d.path_on_host,
                &d.path_in_container,
                &d.cgroup_permissions,
            )?;
            devices.extend(devs);
            rules.extend(perms);
        }
    }
    resources.set_devices(Some(rules));
    resources.set_memory(resources::memory(host, facts.swap_accounting)?);
    resources.set_cpu(resources::cpu(host)?);
    resources.set_pids(resources::pids(host)?);

    let mut sysctl = if input.namespaces.network == NsMode::Private {
        default_sysctls(&facts.proc_sys)
    } else {
        HashMap::new()
    };
    sysctl.extend(host.sysctls.iter().map(|(k, v)| (k.clone(), v.clone())));

    let seccomp = match (&sec.seccomp, host.privileged) {
        (security::SeccompChoice::Unconfined, _) | (security::SeccompChoice::Default, true) => None,
        (security::SeccompChoice::Default, false) => {
            let target = seccomp::Target {
                arch: facts.arch,
                kernel: facts.kernel,
                caps: cap_names,
            };
            seccomp::setup(&seccomp_default::default_profile(), &target)?
        }
        (security::SeccompChoice::Profile(p), _) => {
            let target = seccomp::Target {
                arch: facts.arch,
                kernel: facts.kernel,
                caps: cap_names,
            };
            seccomp::setup(&seccomp::load_profile(p)?, &target)?
        }
    };

    let unconfined_paths = host.privileged || sec.systempaths_unconfined;
    let masked = match &host.masked_paths {
        Some(p) => p.clone(),
        None if unconfined_paths => vec![],
        None => defaults::masked_paths(&facts.sys),
    };
    let readonly = match &host.readonly_paths {
        Some(p) => p.clone(),
        None if unconfined_paths => vec![],
        None => defaults::READONLY_PATHS
            .iter()
            .map(|p| (*p).to_string())
            .collect(),
    };

    let mut linux = Linux::default();
    linux.set_uid_mappings(None);
    linux.set_gid_mappings(None);
    linux.set_sysctl(if sysctl.is_empty() {
        None
    } else {
        Some(sysctl)
    });
    linux.set_resources(Some(resources));
    linux.set_cgroups_path(Some(PathBuf::from(&input.cgroups_path)));
    linux.set_namespaces(Some(namespaces::namespaces(
        input.namespaces,
        facts.cgroup2,
    )?));
    linux.set_devices(if devices.is_empty() {
        None
    } else {
        Some(devices)
    });
    linux.set_seccomp(seccomp);
    linux.set_rootfs_propagation(rootfs_propagation);
    linux.set_masked_paths(if masked.is_empty() {
        None
    } else {
        Some(masked)
    });
    linux.set_readonly_paths(if readonly.is_empty() {
        None
    } else {
        Some(readonly)
    });
    linux.set_mount_label(None);
    linux.set_intel_rdt(None);
    linux.set_personality(None);
    Ok(linux)
}

#[cfg(test)]
mod tests;
