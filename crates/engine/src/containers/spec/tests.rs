//! Tests of [`build_with`] as a whole: the spec of a container, with host facts fixed.

use std::path::{Path, PathBuf};

use image::oci_spec::image::{ConfigBuilder, ImageConfiguration, ImageConfigurationBuilder};
use oci_spec::runtime::{Capability, LinuxNamespaceType, LinuxSeccompAction, Spec};

use super::*;
use crate::containers::config::{DeviceMapping, Ulimit};

struct Fixture {
    _dir: tempfile::TempDir,
    layers: Vec<PathBuf>,
    files: EtcFiles,
    image: ImageConfiguration,
    facts: HostFacts,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer");
    std::fs::create_dir_all(layer.join("etc")).unwrap();
    std::fs::write(
        layer.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nwww:x:33:33::/:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        layer.join("etc/group"),
        "root:x:0:\nwww:x:33:\naudio:x:29:www\n",
    )
    .unwrap();
    let sys = dir.path().join("sys");
    std::fs::create_dir_all(&sys).unwrap();
    let proc_sys = dir.path().join("proc_sys");
    std::fs::create_dir_all(proc_sys.join("net/ipv4")).unwrap();
    std::fs::write(proc_sys.join("net/ipv4/ping_group_range"), "").unwrap();
    let image = ImageConfigurationBuilder::default()
        .config(
            ConfigBuilder::default()
                .cmd(s(&["sh"]))
                .env(s(&["PATH=/usr/bin:/bin", "LANG=C"]))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let files = EtcFiles {
        hostname: dir.path().join("hostname"),
        hosts: dir.path().join("hosts"),
        resolv_conf: dir.path().join("resolv.conf"),
    };
    let facts = HostFacts {
        cap_last_cap: Some(40),
        arch: "amd64",
        kernel: Some((6, 1)),
        cgroup2: false,
        swap_accounting: true,
        sys,
        dev: "/dev".into(),
        proc_sys,
        hostname: "thehost".into(),
    };
    Fixture {
        _dir: dir,
        layers: vec![layer],
        files,
        image,
        facts,
    }
}

const ID: &str = "0123456789abcdef0123456789abcdef";

fn spec_of(
    f: &Fixture,
    config: &ContainerConfig,
    host: &HostConfig,
    mounts: &[PlannedMount],
    ns: &NamespacePaths,
) -> Result<Spec, SpecError> {
    let input = SpecInput {
        id: ID,
        config,
        host,
        image: &f.image,
        rootfs: Path::new("/bundle/rootfs"),
        rootfs_mount: None,
        layer_dirs: &f.layers,
        files: &f.files,
        mounts,
        namespaces: ns,
        cgroups_path: format!("/berth/{ID}"),
    };
    build_with(&input, &f.facts)
}

fn default_spec(host: &HostConfig) -> Spec {
    let f = fixture();
    spec_of(
        &f,
        &ContainerConfig::default(),
        host,
        &[],
        &NamespacePaths::default(),
    )
    .unwrap()
}

fn caps(spec: &Spec) -> std::collections::HashSet<Capability> {
    spec.process()
        .as_ref()
        .unwrap()
        .capabilities()
        .as_ref()
        .unwrap()
        .bounding()
        .clone()
        .unwrap()
}

#[test]
fn default_container() {
    let spec = default_spec(&HostConfig::default());
    assert_eq!(spec.version(), "1.0.2");
    assert_eq!(spec.hostname().as_deref(), Some("0123456789ab"));
    let p = spec.process().as_ref().unwrap();
    assert_eq!(p.args().as_ref().unwrap(), &s(&["sh"]));
    assert_eq!(
        p.env().as_ref().unwrap(),
        &s(&["PATH=/usr/bin:/bin", "HOSTNAME=0123456789ab", "LANG=C"])
    );
    assert_eq!(p.cwd(), Path::new("/"));
    assert_eq!(p.terminal(), Some(false));
    assert_eq!((p.user().uid(), p.user().gid()), (0, 0));
    assert_eq!(p.user().additional_gids().as_deref(), Some(&[0u32][..]));
    assert_eq!(p.rlimits(), &None);
    assert_eq!(p.no_new_privileges(), None);
    assert_eq!(p.oom_score_adj(), Some(0));
    let c = p.capabilities().as_ref().unwrap();
    assert_eq!(c.bounding().as_ref().unwrap().len(), 14);
    assert_eq!(c.effective(), c.bounding());
    assert_eq!(c.permitted(), c.bounding());
    assert_eq!((c.inheritable(), c.ambient()), (&None, &None));
    let root = spec.root().as_ref().unwrap();
    assert_eq!(
        (root.path().as_path(), root.readonly()),
        (Path::new("/bundle/rootfs"), Some(false))
    );
    let linux = spec.linux().as_ref().unwrap();
    assert_eq!(
        linux.cgroups_path().as_deref(),
        Some(Path::new(&format!("/berth/{ID}")))
    );
    assert_eq!(
        linux.masked_paths().as_ref().unwrap(),
        &defaults::MASKED_PATHS.map(String::from).to_vec()
    );
    assert_eq!(
        linux.readonly_paths().as_ref().unwrap(),
        &defaults::READONLY_PATHS.map(String::from).to_vec()
    );
    let kinds: Vec<_> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    assert!(
        !kinds.contains(&LinuxNamespaceType::Cgroup) && !kinds.contains(&LinuxNamespaceType::User)
    );
    assert_eq!(
        linux
            .resources()
            .as_ref()
            .unwrap()
            .devices()
            .as_ref()
            .unwrap()
            .len(),
        8
    );
    assert!(linux.devices().is_none());
    let seccomp = linux.seccomp().as_ref().unwrap();
    assert_eq!(seccomp.default_action(), LinuxSeccompAction::ScmpActErrno);
    let sysctl = linux.sysctl().as_ref().unwrap();
    assert_eq!(
        sysctl.get("net.ipv4.ping_group_range").map(String::as_str),
        Some("0 2147483647")
    );
    assert!(!sysctl.contains_key("net.ipv4.ip_unprivileged_port_start"));
    assert!(spec.annotations().is_none());
    let dests: Vec<_> = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.destination().display().to_string())
        .collect();
    assert_eq!(dests.len(), 10);
    assert_eq!(
        &dests[7..],
        ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"]
    );
}

#[test]
fn json_round_trip_is_a_valid_spec() {
    let f = fixture();
    let host = HostConfig {
        memory: 64 << 20,
        nano_cpus: 1_500_000_000,
        pids_limit: Some(100),
        ulimits: vec![Ulimit {
            name: "nofile".into(),
            soft: 1024,
            hard: 2048,
        }],
        devices: vec![DeviceMapping {
            path_on_host: "/dev/null".into(),
            path_in_container: "/dev/n".into(),
            cgroup_permissions: "rwm".into(),
        }],
        ..Default::default()
    };
    let config = ContainerConfig {
        tty: true,
        user: "www".into(),
        ..Default::default()
    };
    let mounts = [PlannedMount {
        kind: PlannedKind::Bind,
        source: "/srv".into(),
        destination: "/data".into(),
        read_only: true,
        options: s(&["rprivate"]),
        volume: None,
    }];
    let spec = spec_of(&f, &config, &host, &mounts, &NamespacePaths::default()).unwrap();
    let json = serde_json::to_string_pretty(&spec).unwrap();
    let back: Spec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["ociVersion"], "1.0.2");
    assert_eq!(v["process"]["terminal"], true);
    assert_eq!(v["process"]["user"]["uid"], 33);
    assert_eq!(
        v["process"]["user"]["additionalGids"],
        serde_json::json!([33, 29])
    );
    assert_eq!(v["process"]["env"][2], "TERM=xterm");
    assert_eq!(v["linux"]["resources"]["cpu"]["quota"], 150000);
    assert_eq!(v["linux"]["resources"]["memory"]["swap"], 128 << 20);
    assert_eq!(v["linux"]["resources"]["pids"]["limit"], 100);
    assert_eq!(v["linux"]["devices"][0]["path"], "/dev/n");
    assert_eq!(v["linux"]["resources"]["devices"][8]["access"], "rwm");
    assert_eq!(v["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
    assert_eq!(
        v["mounts"].as_array().unwrap().last().unwrap()["options"],
        serde_json::json!(["rbind", "ro", "rprivate"])
    );
    assert!(v["linux"]["seccomp"]["syscalls"].as_array().unwrap().len() > 10);
}

#[test]
fn privileged() {
    let spec = default_spec(&HostConfig {
        privileged: true,
        ..Default::default()
    });
    assert_eq!(caps(&spec).len(), 41);
    let linux = spec.linux().as_ref().unwrap();
    assert!(linux.seccomp().is_none());
    assert!(linux.masked_paths().is_none() && linux.readonly_paths().is_none());
    let rules = linux
        .resources()
        .as_ref()
        .unwrap()
        .devices()
        .clone()
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].allow() && rules[0].typ().is_none());
    assert!(linux
        .devices()
        .as_ref()
        .unwrap()
        .iter()
        .any(|d| d.path() == Path::new("/dev/null")));
    let sys = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new("/sys"))
        .unwrap();
    assert!(!sys.options().as_ref().unwrap().contains(&"ro".to_string()));
}

#[test]
fn cap_add_sys_admin_reaches_seccomp() {
    let spec = default_spec(&HostConfig {
        cap_add: s(&["SYS_ADMIN"]),
        ..Default::default()
    });
    assert!(caps(&spec).contains(&Capability::SysAdmin));
    let rules = spec
        .linux()
        .as_ref()
        .unwrap()
        .seccomp()
        .as_ref()
        .unwrap()
        .syscalls()
        .clone()
        .unwrap();
    assert!(rules
        .iter()
        .any(|r| r.names().contains(&"mount".to_string())));
}

#[test]
fn security_opts() {
    let spec = default_spec(&HostConfig {
        security_opt: s(&[
            "seccomp=unconfined",
            "no-new-privileges",
            "apparmor=custom",
            "systempaths=unconfined",
        ]),
        ..Default::default()
    });
    let p = spec.process().as_ref().unwrap();
    assert_eq!(p.no_new_privileges(), Some(true));
    assert_eq!(p.apparmor_profile().as_deref(), Some("custom"));
    let linux = spec.linux().as_ref().unwrap();
    assert!(linux.seccomp().is_none() && linux.masked_paths().is_none());
    let f = fixture();
    let e = spec_of(
        &f,
        &ContainerConfig::default(),
        &HostConfig {
            security_opt: s(&["bogus"]),
            ..Default::default()
        },
        &[],
        &NamespacePaths::default(),
    );
    assert!(matches!(e, Err(SpecError::InvalidSecurityOpt { .. })));
}

#[test]
fn explicit_masked_paths_win() {
    let spec = default_spec(&HostConfig {
        masked_paths: Some(s(&["/proc/x"])),
        readonly_paths: Some(vec![]),
        ..Default::default()
    });
    let linux = spec.linux().as_ref().unwrap();
    assert_eq!(linux.masked_paths().as_ref().unwrap(), &s(&["/proc/x"]));
    assert!(linux.readonly_paths().is_none());
}

#[test]
fn read_only_rootfs_init_and_rootfs_mount() {
    let f = fixture();
    let host = HostConfig {
        readonly_rootfs: true,
        init: Some(true),
        ..Default::default()
    };
    let rootfs_mount = storage::snapshot::Mount {
        fs_type: "overlay".into(),
        source: "overlay".into(),
        target: PathBuf::new(),
        options: s(&["lowerdir=1:2", "upperdir=u", "workdir=w"]),
        cwd: Some("/var/lib/berth/layers".into()),
    };
    let ns = NamespacePaths::default();
    let input = SpecInput {
        id: ID,
        config: &ContainerConfig::default(),
        host: &host,
        image: &f.image,
        rootfs: Path::new("/r"),
        rootfs_mount: Some(&rootfs_mount),
        layer_dirs: &f.layers,
        files: &f.files,
        mounts: &[],
        namespaces: &ns,
        cgroups_path: "/berth/x".into(),
    };
    let spec = build_with(&input, &f.facts).unwrap();
    assert_eq!(spec.root().as_ref().unwrap().readonly(), Some(true));
    let a = spec.annotations().as_ref().unwrap();
    assert_eq!(a[INIT_ANNOTATION], "true");
    let m: serde_json::Value = serde_json::from_str(&a[ROOTFS_MOUNT_ANNOTATION]).unwrap();
    assert_eq!(
        m,
        serde_json::json!({"type": "overlay", "source": "overlay", "options": ["lowerdir=1:2", "upperdir=u", "workdir=w"], "cwd": "/var/lib/berth/layers"})
    );
}

#[test]
fn host_namespaces() {
    let f = fixture();
    let ns = NamespacePaths {
        network: NsMode::Host,
        uts: NsMode::Host,
        pid: NsMode::Join("/proc/7/ns/pid".into()),
        ipc: NsMode::Host,
        ..Default::default()
    };
    let host = HostConfig {
        init: Some(true),
        ..Default::default()
    };
    let spec = spec_of(&f, &ContainerConfig::default(), &host, &[], &ns).unwrap();
    assert_eq!(spec.hostname(), &None);
    let env = spec.process().as_ref().unwrap().env().clone().unwrap();
    assert!(env.contains(&"HOSTNAME=thehost".to_string()));
    let linux = spec.linux().as_ref().unwrap();
    assert!(linux.sysctl().is_none());
    let kinds: Vec<_> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    assert_eq!(
        kinds,
        vec![LinuxNamespaceType::Mount, LinuxNamespaceType::Pid]
    );
    assert!(
        spec.annotations().is_none(),
        "no init when joining another pid namespace"
    );
    let shm = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new("/dev/shm"))
        .unwrap();
    assert_eq!(shm.source().as_deref(), Some(Path::new("/dev/shm")));
}

#[test]
fn errors_reach_the_caller() {
    let f = fixture();
    let none = ContainerConfig {
        user: "nobody2".into(),
        ..Default::default()
    };
    let e = spec_of(
        &f,
        &none,
        &HostConfig::default(),
        &[],
        &NamespacePaths::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unable to find user nobody2: no matching entries in passwd file"
    );
    let no_cmd = ContainerConfig {
        entrypoint: Some(vec![]),
        ..Default::default()
    };
    let e = spec_of(
        &f,
        &no_cmd,
        &HostConfig::default(),
        &[],
        &NamespacePaths::default(),
    )
    .unwrap_err();
    assert!(matches!(e, SpecError::NoCommand));
}
