//! The two sysctls bridge networking needs: `net.ipv4.ip_forward` (routing between the
//! bridges and the uplink) and a bridge's `route_localnet` (DNAT of 127.0.0.1 to a
//! container). Both are per network namespace: the calling thread's.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A sysctl could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("sysctl {path}: {source}")]
pub struct SysctlError {
    path: PathBuf,
    #[source]
    source: io::Error,
}

fn read(path: &Path) -> Result<bool, SysctlError> {
    fs::read_to_string(path)
        .map(|s| s.trim() == "1")
        .map_err(|source| SysctlError {
            path: path.to_path_buf(),
            source,
        })
}

fn write(path: &Path, on: bool) -> Result<(), SysctlError> {
    fs::write(path, if on { "1\n" } else { "0\n" }).map_err(|source| SysctlError {
        path: path.to_path_buf(),
        source,
    })
}

const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Whether IPv4 forwarding is on.
pub fn ip_forward() -> Result<bool, SysctlError> {
    read(Path::new(IP_FORWARD))
}

/// Turns IPv4 forwarding on; returns whether it already was (then nothing is written).
pub fn enable_ip_forward() -> Result<bool, SysctlError> {
    if ip_forward()? {
        return Ok(true);
    }
    write(Path::new(IP_FORWARD), true)?;
    Ok(false)
}

/// Sets `net.ipv4.conf.<link>.route_localnet`, which lets packets from 127.0.0.0/8 that a
/// DNAT sent towards a container leave through this bridge.
pub fn set_route_localnet(link: &str, on: bool) -> Result<(), SysctlError> {
    let path = Path::new("/proc/sys/net/ipv4/conf")
        .join(link)
        .join("route_localnet");
    write(&path, on)
}
