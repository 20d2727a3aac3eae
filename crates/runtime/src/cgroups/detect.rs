//! Host detection: which cgroup hierarchies are mounted where, and where this process sits in
//! each. Pure functions over the text of /proc/self/mountinfo and /proc/self/cgroup, so every
//! layout (legacy, hybrid, unified, co-mounted "cpu,cpuacct") is unit-tested.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::CgroupError;

/// How the host mounts cgroups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupSetup {
    /// v1 controllers only.
    Legacy,
    /// v1 controllers plus a cgroup2 mount (normally without controllers), e.g. /sys/fs/cgroup/unified.
    Hybrid,
    /// cgroup2 only; all controllers live there.
    Unified,
}

/// One mounted v1 hierarchy with its controllers (named hierarchies such as name=systemd are
/// not listed: berth places nothing there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1Mount {
    /// Controllers bound to this hierarchy, e.g. ["cpu", "cpuacct"].
    pub controllers: Vec<String>,
    pub mount_point: PathBuf,
    /// The hierarchy path mounted at `mount_point` (4th field of mountinfo; "/" unless bind
    /// mounted or inside a cgroup namespace).
    pub root: PathBuf,
    /// This process's cgroup in the hierarchy (from /proc/self/cgroup), hierarchy-absolute.
    pub own_cgroup: PathBuf,
}

/// The cgroup2 mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnifiedMount {
    pub mount_point: PathBuf,
    pub root: PathBuf,
    pub own_cgroup: PathBuf,
}

/// The host's cgroup layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hierarchy {
    pub setup: CgroupSetup,
    pub v1: Vec<V1Mount>,
    pub unified: Option<UnifiedMount>,
}

impl Hierarchy {
    /// The v1 hierarchy holding `controller`, if mounted.
    pub fn v1_mount(&self, controller: &str) -> Option<&V1Mount> {
        self.v1
            .iter()
            .find(|m| m.controllers.iter().any(|c| c == controller))
    }
}

/// Detect the real host's layout from /proc/self/mountinfo and /proc/self/cgroup.
pub fn detect() -> Result<Hierarchy, CgroupError> {
    let mi_path = Path::new("/proc/self/mountinfo");
    let cg_path = Path::new("/proc/self/cgroup");
    let mountinfo = std::fs::read_to_string(mi_path).map_err(|source| CgroupError::ReadProc {
        path: mi_path.into(),
        source,
    })?;
    let cgroup = std::fs::read_to_string(cg_path).map_err(|source| CgroupError::ReadProc {
        path: cg_path.into(),
        source,
    })?;
    parse(&mountinfo, &cgroup)
}

struct MountEntry {
    root: PathBuf,
    mount_point: PathBuf,
    fstype: String,
    super_opts: Vec<String>,
}

/// Undo the octal escapes (\040 for space, ...) of mountinfo path fields.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mountinfo(text: &str) -> Result<Vec<MountEntry>, CgroupError> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let bad = |reason| CgroupError::ParseProc {
            path: "/proc/self/mountinfo".into(),
            line: line.to_string(),
            reason,
        };
        let fields: Vec<&str> = line.split(' ').collect();
        let sep = fields
            .iter()
            .position(|f| *f == "-")
            .ok_or_else(|| bad("no ' - ' separator"))?;
        if sep < 6 || fields.len() < sep + 4 {
            return Err(bad("too few fields"));
        }
        let fstype = fields[sep + 1];
        if fstype != "cgroup" && fstype != "cgroup2" {
            continue;
        }
        out.push(MountEntry {
            root: PathBuf::from(unescape(fields[3])),
            mount_point: PathBuf::from(unescape(fields[4])),
            fstype: fstype.to_string(),
            super_opts: fields[sep + 3].split(',').map(str::to_string).collect(),
        });
    }
    Ok(out)
}

/// Build the hierarchy from the text of /proc/self/mountinfo and /proc/self/cgroup.
pub fn parse(mountinfo: &str, proc_cgroup: &str) -> Result<Hierarchy, CgroupError> {
    let mounts = parse_mountinfo(mountinfo)?;
    let mut v1 = Vec::new();
    let mut unified = None;
    for line in proc_cgroup.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.splitn(3, ':');
        let (Some(_id), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CgroupError::ParseProc {
                path: "/proc/self/cgroup".into(),
                line: line.to_string(),
                reason: "expected id:controllers:path",
            });
        };
        let own = PathBuf::from(path);
        if ctrls.is_empty() {
            if let Some(m) = mounts.iter().find(|m| m.fstype == "cgroup2") {
                unified = Some(UnifiedMount {
                    mount_point: m.mount_point.clone(),
                    root: m.root.clone(),
                    own_cgroup: own,
                });
            }
            continue;
        }
        let controllers: Vec<String> = ctrls.split(',').map(str::to_string).collect();
        if controllers.iter().any(|c| c.starts_with("name=")) {
            continue;
        }
        let found = mounts.iter().find(|m| {
            m.fstype == "cgroup"
                && controllers
                    .iter()
                    .all(|c| m.super_opts.iter().any(|o| o == c))
        });
        if let Some(m) = found {
            v1.push(V1Mount {
                controllers,
                mount_point: m.mount_point.clone(),
                root: m.root.clone(),
                own_cgroup: own,
            });
        }
    }
    let setup = match (v1.is_empty(), unified.is_some()) {
        (false, true) => CgroupSetup::Hybrid,
        (false, false) => CgroupSetup::Legacy,
        (true, true) => CgroupSetup::Unified,
        (true, false) => return Err(CgroupError::NoHierarchy),
    };
    Ok(Hierarchy { setup, v1, unified })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// This build machine's real text (hybrid, cpu and cpuacct mounted separately).
    pub(crate) const HYBRID_MOUNTINFO: &str = "\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    pub(crate) const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/23afba2c3d925e2c69035ff208fc4e0b
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";

    #[test]
    fn hybrid_this_host() {
        let h = parse(HYBRID_MOUNTINFO, HYBRID_CGROUP).unwrap();
        assert_eq!(h.setup, CgroupSetup::Hybrid);
        assert_eq!(h.v1.len(), 8);
        let mem = h.v1_mount("memory").unwrap();
        assert_eq!(mem.mount_point, Path::new("/sys/fs/cgroup/memory"));
        assert_eq!(
            mem.own_cgroup,
            Path::new("/process_api/23afba2c3d925e2c69035ff208fc4e0b")
        );
        assert_eq!(
            h.v1_mount("cpu").unwrap().mount_point,
            Path::new("/sys/fs/cgroup/cpu")
        );
        assert_eq!(
            h.v1_mount("cpuacct").unwrap().mount_point,
            Path::new("/sys/fs/cgroup/cpuacct")
        );
        assert!(h.v1_mount("hugetlb").is_none());
        assert!(h.v1_mount("name=systemd").is_none());
        let u = h.unified.unwrap();
        assert_eq!(u.mount_point, Path::new("/sys/fs/cgroup/unified"));
        assert_eq!(u.own_cgroup, Path::new("/"));
    }

    #[test]
    fn legacy_comounted_cpu_cpuacct() {
        let mi = "\
25 24 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,cpu,cpuacct
28 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio
29 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
";
        let cg = "\
4:memory:/user.slice
3:net_cls,net_prio:/
2:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/session-1.scope
";
        let h = parse(mi, cg).unwrap();
        assert_eq!(h.setup, CgroupSetup::Legacy);
        let cpu = h.v1_mount("cpu").unwrap();
        assert_eq!(cpu.mount_point, Path::new("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(
            cpu.controllers,
            vec!["cpu".to_string(), "cpuacct".to_string()]
        );
        assert_eq!(h.v1_mount("cpuacct"), Some(cpu));
        assert_eq!(cpu.own_cgroup, Path::new("/user.slice"));
        assert!(h.unified.is_none());
    }

    #[test]
    fn pure_v2() {
        let mi = "\
24 30 0:22 / /sys rw shared:7 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
        let h = parse(mi, "0::/user.slice/user-1000.slice/session-2.scope\n").unwrap();
        assert_eq!(h.setup, CgroupSetup::Unified);
        assert!(h.v1.is_empty());
        let u = h.unified.unwrap();
        assert_eq!(u.mount_point, Path::new("/sys/fs/cgroup"));
        assert_eq!(
            u.own_cgroup,
            Path::new("/user.slice/user-1000.slice/session-2.scope")
        );
    }

    #[test]
    fn escaped_mount_point_and_errors() {
        assert_eq!(unescape("/a\\040b"), "/a b");
        assert!(parse("garbage line\n", "").is_err());
        assert!(matches!(parse("", "0::/\n"), Err(CgroupError::NoHierarchy)));
    }

    #[test]
    fn real_host_detects() {
        if std::fs::metadata("/proc/self/mountinfo").is_ok() {
            // Whatever the layout, detection must not fail on a machine with cgroups.
            if std::fs::metadata("/sys/fs/cgroup").is_ok() {
                assert!(detect().is_ok());
            }
        }
    }
}
