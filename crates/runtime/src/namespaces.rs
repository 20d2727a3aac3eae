//! Namespaces: which ones the container gets new, which it joins by path, and the
//! calls that do it. New ones are created by the clone itself (one process, no second
//! fork); PID and time namespaces are joined or made by the runtime before the clone,
//! since both only take effect for children.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use nix::sched::{setns, unshare, CloneFlags};
use oci_spec::runtime::{Linux, LinuxNamespaceType};

use crate::error::{Result, RuntimeError, SysContext};

pub fn clone_flag(t: LinuxNamespaceType) -> CloneFlags {
    match t {
        LinuxNamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
        LinuxNamespaceType::User => CloneFlags::CLONE_NEWUSER,
        LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        // nix has no constant for it; CLONE_NEWTIME = 0x80.
        LinuxNamespaceType::Time => CloneFlags::from_bits_retain(libc::CLONE_NEWTIME),
    }
}

/// The /proc/PID/ns entry name of a namespace type.
pub fn proc_name(t: LinuxNamespaceType) -> &'static str {
    match t {
        LinuxNamespaceType::Mount => "mnt",
        LinuxNamespaceType::Uts => "uts",
        LinuxNamespaceType::Ipc => "ipc",
        LinuxNamespaceType::Pid => "pid",
        LinuxNamespaceType::Network => "net",
        LinuxNamespaceType::User => "user",
        LinuxNamespaceType::Cgroup => "cgroup",
        LinuxNamespaceType::Time => "time",
    }
}

/// How the container gets its namespaces.
#[derive(Debug)]
pub struct Plan {
    /// Namespaces created by clone3 (user, mount, uts, ipc, net, cgroup, pid).
    pub clone_flags: CloneFlags,
    /// A new time namespace, made by the runtime with unshare before the clone.
    pub new_time: bool,
    /// Joined by the runtime before the clone (pid, time: they apply to children).
    pub join_before: Vec<(LinuxNamespaceType, PathBuf)>,
    /// Joined by the child, user namespace first.
    pub join_in_child: Vec<(LinuxNamespaceType, PathBuf)>,
}

impl Plan {
    pub fn new(linux: &Linux) -> Result<Plan> {
        let mut plan = Plan {
            clone_flags: CloneFlags::empty(),
            new_time: false,
            join_before: Vec::new(),
            join_in_child: Vec::new(),
        };
        let mut joins_user = false;
        for ns in linux.namespaces().iter().flatten() {
            let t = ns.typ();
            match ns.path() {
                Some(p) if !p.as_os_str().is_empty() => {
                    let entry = (t, p.clone());
                    if matches!(t, LinuxNamespaceType::Pid | LinuxNamespaceType::Time) {
                        plan.join_before.push(entry);
                    } else {
                        joins_user |= t == LinuxNamespaceType::User;
                        plan.join_in_child.push(entry);
                    }
                }
                _ if t == LinuxNamespaceType::Time => plan.new_time = true,
                _ => plan.clone_flags |= clone_flag(t),
            }
        }
        // The user namespace is joined first so the others are entered with its rights.
        plan.join_in_child
            .sort_by_key(|(t, _)| (*t != LinuxNamespaceType::User) as u8);
        if joins_user && plan.clone_flags.intersects(!CloneFlags::CLONE_NEWPID) {
            // New namespaces must belong to the joined user namespace: the child makes
            // them with unshare after setns(user). A new PID namespace would need a
            // second fork there.
            if plan.clone_flags.contains(CloneFlags::CLONE_NEWPID) {
                return Err(RuntimeError::Unsupported(
                    "joining a user namespace by path together with a new pid namespace is not supported; \
                     give the pid namespace a path too"
                        .to_string(),
                ));
            }
        }
        Ok(plan)
    }

    /// Whether the clone must leave namespace creation to the child (user ns joined).
    pub fn child_unshares(&self) -> bool {
        self.join_in_child
            .iter()
            .any(|(t, _)| *t == LinuxNamespaceType::User)
    }

    pub fn new_user(&self) -> bool {
        self.clone_flags.contains(CloneFlags::CLONE_NEWUSER)
    }

    /// Whether the runtime has work on the child before it may go on (`Msg::Go`): its
    /// uid/gid maps, or its pid in the cgroups when the child cannot join them itself.
    /// Otherwise the child goes straight on (and sets its own oom_score_adj), sparing a
    /// message and the wake-up it costs. Both sides decide with this one function.
    pub fn runtime_goes_first(&self, child_joins_cgroups: bool) -> bool {
        self.new_user() || !child_joins_cgroups
    }
}

/// Joins the namespace at `path` (a /proc/PID/ns/* file or a bind mount of one).
pub fn join(t: LinuxNamespaceType, path: &std::path::Path) -> Result<()> {
    let f = File::open(path).map_err(|e| RuntimeError::InvalidConfig {
        path: path.to_path_buf(),
        msg: format!("cannot open the {} namespace to join: {e}", proc_name(t)),
    })?;
    setns(f.as_fd(), clone_flag(t))
        .ctx(|| format!("join {} namespace {}", proc_name(t), path.display()))
}

/// Makes a new time namespace for the children of this process, with offsets.
pub fn new_time_for_children(linux: &Linux) -> Result<()> {
    unshare(clone_flag(LinuxNamespaceType::Time)).ctx(|| "unshare time namespace")?;
    if let Some(offsets) = linux.time_offsets() {
        let mut text = String::new();
        for (clock, off) in offsets {
            let clock = match clock.as_str() {
                "monotonic" | "boottime" => clock.as_str(),
                other => {
                    return Err(RuntimeError::InvalidConfig {
                        path: "config.json".into(),
                        msg: format!(
                        "field linux.timeOffsets: unknown clock {other:?} (monotonic or boottime)"
                    ),
                    })
                }
            };
            text.push_str(&format!(
                "{clock} {} {}\n",
                off.secs().unwrap_or(0),
                off.nanosecs().unwrap_or(0)
            ));
        }
        std::fs::write("/proc/self/timens_offsets", text)
            .ctx(|| "write /proc/self/timens_offsets")?;
    }
    Ok(())
}

/// Writes the uid/gid maps of a child's new user namespace (ranges allowed).
pub fn write_id_maps(pid: nix::unistd::Pid, linux: &Linux) -> Result<()> {
    let fmt = |maps: &Option<Vec<oci_spec::runtime::LinuxIdMapping>>| {
        maps.iter()
            .flatten()
            .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
            .collect::<String>()
    };
    let uid = fmt(linux.uid_mappings());
    let gid = fmt(linux.gid_mappings());
    if !uid.is_empty() {
        let p = format!("/proc/{pid}/uid_map");
        std::fs::write(&p, &uid).ctx(|| format!("write {p} ({})", uid.trim()))?;
    }
    if !gid.is_empty() {
        let p = format!("/proc/{pid}/gid_map");
        std::fs::write(&p, &gid).ctx(|| format!("write {p} ({})", gid.trim()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{LinuxBuilder, LinuxNamespaceBuilder};

    #[test]
    fn plan_splits_new_and_joined() {
        let linux = LinuxBuilder::default()
            .namespaces(vec![
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Network)
                    .path("/proc/1/ns/net")
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Pid)
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Mount)
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::User)
                    .path("/proc/1/ns/user")
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Time)
                    .build()
                    .unwrap(),
            ])
            .build()
            .unwrap();
        let err = Plan::new(&linux).unwrap_err().to_string();
        assert!(err.contains("pid namespace"), "{err}");

        let linux = LinuxBuilder::default()
            .namespaces(vec![
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Network)
                    .path("/proc/1/ns/net")
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Pid)
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Mount)
                    .build()
                    .unwrap(),
                LinuxNamespaceBuilder::default()
                    .typ(LinuxNamespaceType::Time)
                    .build()
                    .unwrap(),
            ])
            .build()
            .unwrap();
        let plan = Plan::new(&linux).unwrap();
        assert_eq!(
            plan.clone_flags,
            CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNS
        );
        assert!(plan.new_time);
        assert_eq!(plan.join_in_child.len(), 1);
        assert!(!plan.child_unshares());
    }
}
