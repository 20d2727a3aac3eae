//! Tests against the real kernel, run only as root on a host with a v1 memory hierarchy
//! (berth's CI machine is hybrid). Each creates its cgroups under a unique absolute path
//! /berth-test-<pid>-<nanos>/..., never under a cgroup it did not create, and removes them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use oci_spec::runtime::{
    LinuxBlockIoBuilder, LinuxCpuBuilder, LinuxDeviceCgroupBuilder, LinuxDeviceType,
    LinuxMemoryBuilder, LinuxPidsBuilder, LinuxResourcesBuilder, LinuxThrottleDeviceBuilder,
};

use super::*;

fn enabled() -> bool {
    let on = std::fs::metadata("/sys/fs/cgroup/memory").is_ok() && nix::unistd::geteuid().is_root();
    eprintln!("real-kernel cgroup tests enabled: {on}");
    on
}

fn unique(tag: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    PathBuf::from(format!("/berth-test-{tag}-{}-{nanos}", std::process::id()))
}

/// Kills the child and removes the cgroups even when an assertion fails.
struct Guard {
    child: Option<Child>,
    manager: Manager,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.manager.thaw();
        let _ = self.manager.destroy();
    }
}

fn proc_state(pid: u32) -> String {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("State:"))
        .unwrap_or("")
        .to_string()
}

fn read(p: &Path, f: &str) -> String {
    std::fs::read_to_string(p.join(f))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn real_kernel_lifecycle() {
    if !enabled() {
        return;
    }
    let h = detect().unwrap();
    let base = unique("life");
    let mut m = Manager::new(&h, Some(&base.join("c")), "ignored").unwrap();
    m.create().unwrap();
    let mut g = Guard {
        child: None,
        manager: m.clone(),
    };
    for d in m
        .paths()
        .v1
        .iter()
        .map(|h| &h.dir)
        .chain(m.paths().unified.iter())
    {
        assert!(d.path.is_dir(), "{}", d.path.display());
        assert!(d.owned());
        assert_eq!(d.created.len(), 2, "base and leaf are both berth's");
    }
    g.manager = m.clone();

    let mem_dir = m
        .paths()
        .v1
        .iter()
        .find(|h| h.subsystem == "memory")
        .unwrap()
        .dir
        .path
        .clone();
    let has_memsw = mem_dir.join("memory.memsw.limit_in_bytes").exists();
    let mut mem = LinuxMemoryBuilder::default()
        .limit(64 << 20)
        .build()
        .unwrap();
    if has_memsw {
        mem.set_swap(Some(128 << 20));
    }
    let r = LinuxResourcesBuilder::default()
        .memory(mem)
        .pids(LinuxPidsBuilder::default().limit(32).build().unwrap())
        .cpu(
            LinuxCpuBuilder::default()
                .shares(512u64)
                .quota(50_000)
                .period(100_000u64)
                .cpus("0")
                .mems("0")
                .build()
                .unwrap(),
        )
        .devices(vec![
            LinuxDeviceCgroupBuilder::default()
                .allow(false)
                .access("rwm")
                .build()
                .unwrap(),
            LinuxDeviceCgroupBuilder::default()
                .allow(true)
                .typ(LinuxDeviceType::C)
                .major(1)
                .minor(3)
                .access("rwm")
                .build()
                .unwrap(),
        ])
        .build()
        .unwrap();
    m.apply(&r).unwrap();
    let dir = |s: &str| {
        m.paths()
            .v1
            .iter()
            .find(|h| h.controllers.iter().any(|c| c == s))
            .unwrap()
            .dir
            .path
            .clone()
    };
    assert_eq!(
        read(&dir("memory"), "memory.limit_in_bytes"),
        (64u64 << 20).to_string()
    );
    if has_memsw {
        assert_eq!(
            read(&dir("memory"), "memory.memsw.limit_in_bytes"),
            (128u64 << 20).to_string()
        );
    }
    assert_eq!(read(&dir("pids"), "pids.max"), "32");
    assert_eq!(read(&dir("cpu"), "cpu.shares"), "512");
    assert_eq!(read(&dir("cpu"), "cpu.cfs_quota_us"), "50000");
    assert_eq!(read(&dir("cpuset"), "cpuset.cpus"), "0");
    assert_eq!(read(&dir("devices"), "devices.list"), "c 1:3 rwm");
    // Update: lowering memory (limit written before memsw) must succeed too.
    let mut lower = LinuxMemoryBuilder::default()
        .limit(32 << 20)
        .build()
        .unwrap();
    if has_memsw {
        lower.set_swap(Some(48 << 20));
    }
    m.apply(
        &LinuxResourcesBuilder::default()
            .memory(lower)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        read(&dir("memory"), "memory.limit_in_bytes"),
        (32u64 << 20).to_string()
    );

    // blkio: throttling works on a real disk; a weight errors, naming the file, exactly when
    // this kernel has no weight file (no CFQ/BFQ in use).
    if let Ok(dev) = std::fs::read_to_string("/sys/block/vda/dev") {
        let (maj, min) = dev.trim().split_once(':').unwrap();
        let t = LinuxThrottleDeviceBuilder::default()
            .major(maj.parse::<i64>().unwrap())
            .minor(min.parse::<i64>().unwrap())
            .rate(1_048_576u64)
            .build()
            .unwrap();
        let b = LinuxBlockIoBuilder::default()
            .throttle_read_bps_device(vec![t])
            .build()
            .unwrap();
        m.apply(
            &LinuxResourcesBuilder::default()
                .block_io(b)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            read(&dir("blkio"), "blkio.throttle.read_bps_device"),
            format!("{} 1048576", dev.trim())
        );
    }
    let w = LinuxResourcesBuilder::default()
        .block_io(
            LinuxBlockIoBuilder::default()
                .weight(500u16)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let has_weight = dir("blkio").join("blkio.weight").exists()
        || dir("blkio").join("blkio.bfq.weight").exists();
    match m.apply(&w) {
        Ok(()) => assert!(has_weight),
        Err(e) => assert!(!has_weight && e.to_string().contains("blkio.weight"), "{e}"),
    }

    let child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    g.child = Some(child);
    m.add_task(i32::try_from(pid).unwrap()).unwrap();
    assert_eq!(m.pids().unwrap(), vec![i32::try_from(pid).unwrap()]);
    let st = m.stats().unwrap();
    assert_eq!(st.pids.current, 1);
    assert_eq!(st.pids.limit, 32);
    assert_eq!(st.memory.usage.limit, 32 << 20);
    assert_eq!(st.cpuset.cpus, vec![0]);
    assert!(serde_json::to_value(&st).unwrap()["memory"]["usage"]["limit"].is_u64());

    m.freeze().unwrap();
    assert!(m.is_frozen().unwrap());
    let frozen = proc_state(pid);
    assert!(frozen.contains("D") || frozen.contains("T"), "{frozen}");
    m.thaw().unwrap();
    assert!(!m.is_frozen().unwrap());
    assert!(proc_state(pid).contains("S"), "{}", proc_state(pid));

    if let Some(mut c) = g.child.take() {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    m.destroy().unwrap();
    for d in m
        .paths()
        .v1
        .iter()
        .map(|h| &h.dir)
        .chain(m.paths().unified.iter())
    {
        assert!(!d.path.exists(), "{}", d.path.display());
        assert!(!d.created[0].exists(), "{}", d.created[0].display());
    }
}

#[test]
fn real_kernel_joined_dirs_are_not_removed() {
    if !enabled() {
        return;
    }
    let h = detect().unwrap();
    let base = unique("join");
    let mut owner = Manager::new(&h, Some(&base), "x").unwrap();
    owner.create().unwrap();
    let _g = Guard {
        child: None,
        manager: owner.clone(),
    };
    let mut joiner = Manager::new(&h, Some(&base), "x").unwrap();
    joiner.create().unwrap();
    assert!(joiner
        .paths()
        .v1
        .iter()
        .all(|h| !h.dir.owned() && h.dir.created.is_empty()));
    joiner.destroy().unwrap();
    assert!(owner.paths().v1.iter().all(|h| h.dir.path.is_dir()));
    // Round trip through the state file.
    let json = serde_json::to_string(owner.paths()).unwrap();
    let back = Manager::from_paths(serde_json::from_str(&json).unwrap());
    back.destroy().unwrap();
    assert!(owner.paths().v1.iter().all(|h| !h.dir.path.exists()));
}

/// The eBPF device filter, attached to this host's cgroup2 mount (hybrid hosts have one
/// without controllers; BPF device programs work there all the same).
#[test]
fn real_kernel_bpf_device_filter() {
    if !enabled() || std::fs::metadata("/sys/fs/cgroup/unified/cgroup.procs").is_err() {
        return;
    }
    let h = detect().unwrap();
    if h.unified.is_none() {
        return;
    }
    let base = unique("bpf");
    let mut m = Manager::new(&h, Some(&base), "x").unwrap();
    m.create().unwrap();
    let mut g = Guard {
        child: None,
        manager: m.clone(),
    };
    let udir = m.paths().unified.as_ref().unwrap().path.clone();
    let rules = vec![
        LinuxDeviceCgroupBuilder::default()
            .allow(false)
            .access("rwm")
            .build()
            .unwrap(),
        LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .typ(LinuxDeviceType::C)
            .major(1)
            .minor(3)
            .access("rw")
            .build()
            .unwrap(),
    ];
    v2::devices::apply(&udir, &rules).unwrap();
    // Applying again replaces the program (update).
    v2::devices::apply(&udir, &rules).unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("read x; cat /dev/null || exit 10; head -c1 /dev/zero >/dev/null 2>&1 && exit 11; exit 0")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(udir.join("cgroup.procs"), child.id().to_string()).unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let status = child.wait().unwrap();
    g.child = None;
    assert_eq!(
        status.code(),
        Some(0),
        "10: /dev/null denied, 11: /dev/zero allowed"
    );
    drop(g);
    assert!(!udir.exists());
}
