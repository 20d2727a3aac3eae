//! `berth info` and `berth version`: what this berth is and what it holds, in Docker's
//! layout (the fields scripts grep for: Containers/Running/Paused/Stopped, Images,
//! Storage Driver, Logging Driver, Cgroup Version, Kernel Version, Docker Root Dir).

use super::daemon;
use crate::Global;

fn read(p: &str) -> String {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn os_name() -> String {
    read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into())
}

fn mem_total() -> String {
    let kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    format!("{:.2}GiB", kb as f64 / (1024.0 * 1024.0))
}

pub fn info(g: &Global) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let all = engine.containers().map_err(daemon)?;
    let count = |s: &str| all.iter().filter(|c| c.state.status == s).count();
    let running = count("running") + count("restarting");
    let paused = count("paused");
    let images = engine.images().list().map_err(daemon)?.len();
    let driver = engine.snapshotter().map(|s| s.name()).unwrap_or("unknown");
    let cgroup_version = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "2"
    } else {
        "1"
    };
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("Client:");
    println!(" Version:    {}", env!("CARGO_PKG_VERSION"));
    println!(" Context:    default");
    println!();
    println!("Server:");
    println!(" Containers: {}", all.len());
    println!("  Running: {running}");
    println!("  Paused: {paused}");
    println!("  Stopped: {}", all.len() - running - paused);
    println!(" Images: {images}");
    println!(" Server Version: {}", env!("CARGO_PKG_VERSION"));
    println!(" Storage Driver: {driver}");
    println!(" Logging Driver: json-file");
    println!(" Cgroup Driver: cgroupfs");
    println!(" Cgroup Version: {cgroup_version}");
    println!(" Plugins:");
    println!("  Volume: local");
    println!("  Network: bridge host null");
    println!("  Log: json-file none");
    println!(" Runtimes: berth-runtime");
    println!(" Default Runtime: berth-runtime");
    println!(" Init Binary: built-in (berth-runtime)");
    println!(" Kernel Version: {}", read("/proc/sys/kernel/osrelease"));
    println!(" Operating System: {}", os_name());
    println!(" OSType: linux");
    println!(" Architecture: {}", std::env::consts::ARCH);
    println!(" CPUs: {cpus}");
    println!(" Total Memory: {}", mem_total());
    println!(" Name: {}", read("/proc/sys/kernel/hostname"));
    println!(" Docker Root Dir: {}", g.root.dir().display());
    println!(
        " IP Forwarding: {}",
        if read("/proc/sys/net/ipv4/ip_forward") == "1" {
            "on (berth turns it on when a bridge network is brought up)"
        } else {
            "off"
        }
    );
    Ok(())
}

pub fn version() -> anyhow::Result<()> {
    let v = env!("CARGO_PKG_VERSION");
    println!("Client:");
    println!(" Version:           {v}");
    println!(" API version:       1.43");
    println!(
        " OS/Arch:           linux/{}",
        std::env::consts::ARCH
            .replace("x86_64", "amd64")
            .replace("aarch64", "arm64")
    );
    println!(" Context:           default");
    println!();
    println!("Server: berth (no daemon)");
    println!(" Engine:");
    println!("  Version:          {v}");
    println!("  API version:      1.43 (minimum version 1.24)");
    println!(
        "  OS/Arch:          linux/{}",
        std::env::consts::ARCH
            .replace("x86_64", "amd64")
            .replace("aarch64", "arm64")
    );
    println!(" berth-runtime:");
    println!("  Version:          {v}");
    Ok(())
}
