//! The container's namespaces (moby `WithNamespaces`): mount always new; network, uts, pid,
//! ipc new, shared with the host (left out), or joined by path (`container:NAME`); cgroup new
//! on cgroup2 hosts and the host's on v1 and hybrid hosts (Docker's default per version);
//! a user namespace only when one is joined.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespace, LinuxNamespaceBuilder, LinuxNamespaceType};

use super::SpecError;

/// How one namespace is set up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NsMode {
    /// A new namespace of the container's own.
    #[default]
    Private,
    /// The host's (no namespace in the spec).
    Host,
    /// Join the namespace at this path (`/proc/PID/ns/net` of another container).
    Join(PathBuf),
}

/// The engine's decisions for each namespace kind, from `--network`, `--pid`, `--ipc`,
/// `--uts`, `--userns` after resolving `container:NAME` to paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePaths {
    pub network: NsMode,
    pub pid: NsMode,
    pub ipc: NsMode,
    pub uts: NsMode,
    /// `Join(path)` joins that user namespace; `Private` and `Host` both mean no user
    /// namespace (berth has no uid remapping yet, Docker's default without userns-remap).
    pub user: NsMode,
}

impl Default for NamespacePaths {
    fn default() -> Self {
        Self {
            network: NsMode::Private,
            pid: NsMode::Private,
            ipc: NsMode::Private,
            uts: NsMode::Private,
            user: NsMode::Host,
        }
    }
}

/// Whether `/sys/fs/cgroup` is a cgroup2 mount (a unified host). Hybrid hosts (v1
/// controllers plus cgroup2 at `/sys/fs/cgroup/unified`) count as v1, as Docker does.
pub fn host_is_cgroup2() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

fn ns(typ: LinuxNamespaceType, mode: &NsMode) -> Result<Option<LinuxNamespace>, SpecError> {
    Ok(match mode {
        NsMode::Host => None,
        NsMode::Private => Some(LinuxNamespaceBuilder::default().typ(typ).build()?),
        NsMode::Join(p) => Some(
            LinuxNamespaceBuilder::default()
                .typ(typ)
                .path(p.clone())
                .build()?,
        ),
    })
}

/// The namespace list, in Docker's order.
pub fn namespaces(paths: &NamespacePaths, cgroup2: bool) -> Result<Vec<LinuxNamespace>, SpecError> {
    let user = match &paths.user {
        NsMode::Join(_) => paths.user.clone(),
        _ => NsMode::Host,
    };
    let cgroup = if cgroup2 {
        NsMode::Private
    } else {
        NsMode::Host
    };
    let mut out = Vec::new();
    for (typ, mode) in [
        (LinuxNamespaceType::Mount, &NsMode::Private),
        (LinuxNamespaceType::Network, &paths.network),
        (LinuxNamespaceType::Uts, &paths.uts),
        (LinuxNamespaceType::Pid, &paths.pid),
        (LinuxNamespaceType::Ipc, &paths.ipc),
        (LinuxNamespaceType::User, &user),
        (LinuxNamespaceType::Cgroup, &cgroup),
    ] {
        out.extend(ns(typ, mode)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(v: &[LinuxNamespace]) -> Vec<LinuxNamespaceType> {
        v.iter().map(|n| n.typ()).collect()
    }

    #[test]
    fn defaults_v1_and_v2() {
        use LinuxNamespaceType::*;
        let v1 = namespaces(&NamespacePaths::default(), false).unwrap();
        assert_eq!(kinds(&v1), vec![Mount, Network, Uts, Pid, Ipc]);
        assert!(v1.iter().all(|n| n.path().is_none()));
        let v2 = namespaces(&NamespacePaths::default(), true).unwrap();
        assert_eq!(kinds(&v2), vec![Mount, Network, Uts, Pid, Ipc, Cgroup]);
    }

    #[test]
    fn host_and_join() {
        use LinuxNamespaceType::*;
        let p = NamespacePaths {
            network: NsMode::Join("/proc/42/ns/net".into()),
            pid: NsMode::Host,
            uts: NsMode::Host,
            user: NsMode::Private,
            ..Default::default()
        };
        let v = namespaces(&p, false).unwrap();
        assert_eq!(kinds(&v), vec![Mount, Network, Ipc]);
        assert_eq!(v[1].path().as_deref(), Some(Path::new("/proc/42/ns/net")));
        let p = NamespacePaths {
            user: NsMode::Join("/proc/42/ns/user".into()),
            ..Default::default()
        };
        assert!(kinds(&namespaces(&p, false).unwrap()).contains(&User));
    }
}
