//! Manager tests on fake cgroupfs trees.
use super::*;
use crate::cgroups::detect::{UnifiedMount, V1Mount};
use crate::cgroups::testutil::read;
use oci_spec::runtime::{
    LinuxCpuBuilder, LinuxHugepageLimitBuilder, LinuxMemoryBuilder, LinuxPidsBuilder,
    LinuxResourcesBuilder,
};
use std::collections::HashMap;

/// A fake hybrid host under `root`: memory, cpu+cpuacct co-mounted, cpuset, pids,
/// devices, freezer, plus an empty cgroup2 mount.
fn hybrid(root: &Path) -> Hierarchy {
    let mut v1 = Vec::new();
    for (name, ctrls) in [
        ("memory", vec!["memory"]),
        ("cpu,cpuacct", vec!["cpu", "cpuacct"]),
        ("cpuset", vec!["cpuset"]),
        ("pids", vec!["pids"]),
        ("devices", vec!["devices"]),
        ("freezer", vec!["freezer"]),
    ] {
        let mp = root.join(name);
        std::fs::create_dir_all(&mp).unwrap();
        v1.push(V1Mount {
            controllers: ctrls.into_iter().map(str::to_string).collect(),
            mount_point: mp,
            root: "/".into(),
            own_cgroup: "/own".into(),
        });
    }
    let up = root.join("unified");
    std::fs::create_dir_all(&up).unwrap();
    let unified = Some(UnifiedMount {
        mount_point: up,
        root: "/".into(),
        own_cgroup: "/".into(),
    });
    Hierarchy {
        setup: CgroupSetup::Hybrid,
        v1,
        unified,
    }
}

fn touch(dir: &Path, files: &[&str]) {
    for f in files {
        std::fs::write(dir.join(f), "").unwrap();
    }
}

#[test]
fn create_records_ownership_and_destroy_removes_only_ours() {
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    // /kube (not berth's own parent) already exists in the memory hierarchy: joined, not owned.
    std::fs::create_dir(t.path().join("memory/kube")).unwrap();
    let mut m = Manager::new(&h, Some(Path::new("/kube/c1")), "c1").unwrap();
    m.create().unwrap();
    let mem = &m.paths().v1[0].dir;
    assert_eq!(mem.path, t.path().join("memory/kube/c1"));
    assert_eq!(mem.created, vec![t.path().join("memory/kube/c1")]);
    assert!(mem.owned());
    let cpu = &m.paths().v1[1];
    assert_eq!(cpu.subsystem, "cpu,cpuacct");
    assert_eq!(
        cpu.dir.created,
        vec![
            t.path().join("cpu,cpuacct/kube"),
            t.path().join("cpu,cpuacct/kube/c1")
        ]
    );
    assert_eq!(
        m.paths().unified.as_ref().unwrap().path,
        t.path().join("unified/kube/c1")
    );
    let sources = m.mount_sources();
    assert_eq!(sources.len(), 6);
    assert_eq!(
        sources[1],
        (
            "cpu,cpuacct".to_string(),
            t.path().join("cpu,cpuacct/kube/c1")
        )
    );

    // The state file round trip keeps ownership.
    let json = serde_json::to_string(m.paths()).unwrap();
    let back = Manager::from_paths(serde_json::from_str(&json).unwrap());
    assert_eq!(back.paths(), m.paths());

    // A second manager on the same path joins everything and owns nothing.
    let mut j = Manager::new(&h, Some(Path::new("/kube/c1")), "c1").unwrap();
    j.create().unwrap();
    assert!(j
        .paths()
        .v1
        .iter()
        .all(|h| h.dir.created.is_empty() && !h.dir.owned()));
    j.destroy().unwrap();
    assert!(t.path().join("memory/kube/c1").is_dir());

    back.destroy().unwrap();
    assert!(!t.path().join("memory/kube/c1").exists());
    assert!(
        t.path().join("memory/kube").is_dir(),
        "pre-existing parent must stay"
    );
    assert!(!t.path().join("cpu,cpuacct/kube").exists());
    assert!(!t.path().join("unified/kube").exists());
}

#[test]
fn relative_path_goes_under_own_cgroup_and_dotdot_is_rejected() {
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    let m = Manager::new(&h, Some(Path::new("sub/c1")), "x").unwrap();
    assert_eq!(m.paths().v1[0].dir.path, t.path().join("memory/own/sub/c1"));
    assert_eq!(
        m.paths().unified.as_ref().unwrap().path,
        t.path().join("unified/sub/c1")
    );
    assert!(Manager::new(&h, Some(Path::new("../../etc")), "x").is_err());
    assert!(Manager::new(&h, Some(Path::new("/berth/../../x")), "x").is_err());
}

#[test]
fn apply_writes_to_the_right_hierarchies() {
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    let mut m = Manager::new(&h, Some(Path::new("/t/c")), "x").unwrap();
    m.create().unwrap();
    let d = |n: &str| t.path().join(n).join("t/c");
    touch(&d("memory"), &["memory.limit_in_bytes"]);
    touch(
        &d("cpu,cpuacct"),
        &["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"],
    );
    touch(&d("cpuset"), &["cpuset.cpus"]);
    touch(&d("pids"), &["pids.max"]);
    touch(&d("devices"), &["devices.allow", "devices.deny"]);
    let r = LinuxResourcesBuilder::default()
        .memory(
            LinuxMemoryBuilder::default()
                .limit(1 << 20)
                .build()
                .unwrap(),
        )
        .cpu(
            LinuxCpuBuilder::default()
                .shares(100u64)
                .quota(20_000)
                .period(100_000u64)
                .cpus("0")
                .build()
                .unwrap(),
        )
        .pids(LinuxPidsBuilder::default().limit(5).build().unwrap())
        .devices(vec![])
        .build()
        .unwrap();
    m.apply(&r).unwrap();
    assert_eq!(read(&d("memory"), "memory.limit_in_bytes"), "1048576");
    assert_eq!(read(&d("cpu,cpuacct"), "cpu.shares"), "100");
    assert_eq!(read(&d("cpu,cpuacct"), "cpu.cfs_quota_us"), "20000");
    assert_eq!(read(&d("cpuset"), "cpuset.cpus"), "0");
    assert_eq!(read(&d("pids"), "pids.max"), "5");
    assert_eq!(read(&d("devices"), "devices.deny"), "a");

    // Absent values never need a controller; present ones name what is missing.
    let empty_mem = LinuxResourcesBuilder::default()
        .memory(LinuxMemoryBuilder::default().build().unwrap())
        .build()
        .unwrap();
    m.apply(&empty_mem).unwrap();
    let huge = LinuxResourcesBuilder::default()
        .hugepage_limits(vec![LinuxHugepageLimitBuilder::default()
            .page_size("2MB")
            .limit(1)
            .build()
            .unwrap()])
        .build()
        .unwrap();
    let err = m.apply(&huge).unwrap_err().to_string();
    assert!(
        err.contains("hugetlb") && err.contains("hugepageLimits"),
        "{err}"
    );
    let mut unified = HashMap::new();
    unified.insert("memory.high".to_string(), "1000".to_string());
    let err = m
        .apply(
            &LinuxResourcesBuilder::default()
                .unified(unified)
                .build()
                .unwrap(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("unified"), "{err}");
    let swap = LinuxResourcesBuilder::default()
        .memory(
            LinuxMemoryBuilder::default()
                .limit(10)
                .swap(20)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = m.apply(&swap).unwrap_err().to_string();
    assert!(err.contains("memory.memsw.limit_in_bytes"), "{err}");
}

#[test]
fn unified_host_enables_controllers_freezes_and_lists_pids() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("cg");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("cgroup.controllers"), "cpu memory pids\n").unwrap();
    std::fs::write(root.join("cgroup.subtree_control"), "memory\n").unwrap();
    let h = Hierarchy {
        setup: CgroupSetup::Unified,
        v1: vec![],
        unified: Some(UnifiedMount {
            mount_point: root.clone(),
            root: "/".into(),
            own_cgroup: "/".into(),
        }),
    };
    let mut m = Manager::new(&h, Some(Path::new("/c")), "x").unwrap();
    m.create().unwrap();
    // Controllers written one by one ("+cpu" then "+pids"; the fake keeps the last).
    assert_eq!(read(&root, "cgroup.subtree_control"), "+pids");
    let c = root.join("c");
    assert_eq!(m.mount_sources(), vec![(String::new(), c.clone())]);
    touch(
        &c,
        &[
            "memory.max",
            "memory.swap.max",
            "cpu.weight",
            "cgroup.freeze",
            "memory.high",
        ],
    );
    std::fs::write(c.join("cgroup.events"), "populated 0\nfrozen 1\n").unwrap();
    let mut unified = HashMap::new();
    unified.insert("memory.high".to_string(), "1000".to_string());
    let r = LinuxResourcesBuilder::default()
        .memory(
            LinuxMemoryBuilder::default()
                .limit(100)
                .swap(150)
                .build()
                .unwrap(),
        )
        .cpu(LinuxCpuBuilder::default().shares(2u64).build().unwrap())
        .unified(unified)
        .build()
        .unwrap();
    m.apply(&r).unwrap();
    assert_eq!(read(&c, "memory.max"), "100");
    assert_eq!(read(&c, "memory.swap.max"), "50");
    assert_eq!(read(&c, "cpu.weight"), "1");
    assert_eq!(read(&c, "memory.high"), "1000");
    let mut bad = HashMap::new();
    bad.insert("../escape".to_string(), "1".to_string());
    assert!(m
        .apply(
            &LinuxResourcesBuilder::default()
                .unified(bad)
                .build()
                .unwrap()
        )
        .is_err());
    m.freeze().unwrap();
    assert_eq!(read(&c, "cgroup.freeze"), "1");
    assert!(m.is_frozen().unwrap());
    std::fs::write(c.join("cgroup.procs"), "10\n12\n").unwrap();
    std::fs::create_dir(c.join("sub")).unwrap();
    std::fs::write(c.join("sub/cgroup.procs"), "11\n").unwrap();
    assert_eq!(m.pids().unwrap(), vec![10, 11, 12]);
}

#[test]
fn default_berth_parent_goes_with_the_last_container() {
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    let mut a = Manager::new(&h, None, "a").unwrap();
    a.create().unwrap();
    let mut b = Manager::new(&h, None, "b").unwrap();
    b.create().unwrap();
    // b did not make /berth but may remove it once it is empty.
    assert_eq!(
        b.paths().v1[0].dir.created[0],
        t.path().join("memory/berth")
    );
    a.destroy().unwrap();
    assert!(
        t.path().join("memory/berth/b").exists(),
        "a removed b's cgroup"
    );
    b.destroy().unwrap();
    assert!(
        !t.path().join("memory/berth").exists(),
        "/berth left behind"
    );
}

#[test]
fn the_engines_berth_path_also_leaves_with_the_last_container() {
    // The engine names `/berth/<id>` explicitly (Docker's `/docker/<id>`); the first
    // container deleted must not strand the parent the second one joined.
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    let (pa, pb) = (PathBuf::from("/berth/a"), PathBuf::from("/berth/b"));
    let mut a = Manager::new(&h, Some(&pa), "a").unwrap();
    a.create().unwrap();
    let mut b = Manager::new(&h, Some(&pb), "b").unwrap();
    b.create().unwrap();
    a.destroy().unwrap();
    b.destroy().unwrap();
    assert!(
        !t.path().join("memory/berth").exists(),
        "/berth left behind"
    );
    // A parent the user chose is never removed.
    let pc = PathBuf::from("/mine/c");
    let mut c = Manager::new(&h, Some(&pc), "c").unwrap();
    std::fs::create_dir_all(t.path().join("memory/mine")).unwrap();
    c.create().unwrap();
    c.destroy().unwrap();
    assert!(t.path().join("memory/mine").exists());
}

#[test]
fn oom_kills_are_read_from_the_memory_controller() {
    let t = tempfile::tempdir().unwrap();
    let h = hybrid(t.path());
    let mut m = Manager::new(&h, Some(Path::new("/kube/oom")), "oom").unwrap();
    m.create().unwrap();
    assert_eq!(
        m.oom_kills().unwrap(),
        0,
        "no file: the kernel does not count"
    );
    std::fs::write(
        t.path().join("memory/kube/oom/memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    )
    .unwrap();
    assert_eq!(m.oom_kills().unwrap(), 2);
}
