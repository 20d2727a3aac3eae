//! The spec's `mounts`, as moby's `withMounts`: the default kernel filesystems (minus those a
//! user mount replaces, everything under `/dev` if the user mounts `/dev`, `/dev/shm` with
//! `--ipc none`), then `/etc/resolv.conf`, `/etc/hostname`, `/etc/hosts`, then the planned
//! mounts sorted so that parents come before children; `--read-only` makes the non-user
//! mounts read-only, `--privileged` makes `/sys` (and the cgroup mount) writable.

use std::path::Path;

use oci_spec::runtime::{Mount, MountBuilder};

use super::defaults;
use super::mounts::{PlannedKind, PlannedMount, PROPAGATION};
use super::tmpfs::merge_tmpfs_options;
use super::{EtcFiles, SpecError};

/// What decides the mount list besides the planned mounts.
pub struct MountsInput<'a> {
    pub shm_size: i64,
    /// `--ipc none`: no `/dev/shm`.
    pub ipc_none: bool,
    /// `--ipc host`: the host's `/dev/shm` is bound instead of a new tmpfs.
    pub ipc_host: bool,
    pub readonly_rootfs: bool,
    pub privileged: bool,
    /// `--security-opt writable-cgroups=…`; `None` = writable only when privileged.
    pub writable_cgroups: Option<bool>,
    pub files: &'a EtcFiles,
    pub planned: &'a [PlannedMount],
}

fn bind(dest: &str, source: &Path, options: Vec<String>) -> Result<Mount, SpecError> {
    Ok(MountBuilder::default()
        .destination(dest)
        .typ("bind")
        .source(source)
        .options(options)
        .build()?)
}

fn depth(dest: &str) -> usize {
    Path::new(dest).components().count()
}

fn strip_ro(m: &mut Mount) {
    if let Some(opts) = m.options().clone() {
        m.set_options(Some(opts.into_iter().filter(|o| o != "ro").collect()));
    }
}

/// One planned mount as Docker writes it: binds `rbind[,ro],<propagation>`, tmpfs
/// `noexec,nosuid,nodev,rprivate` overridden by the user's options.
fn planned_mount(p: &PlannedMount) -> Result<Mount, SpecError> {
    match p.kind {
        PlannedKind::Tmpfs => {
            let mut opts: Vec<String> = ["noexec", "nosuid", "nodev", "rprivate"]
                .map(String::from)
                .to_vec();
            opts.extend(p.options.iter().cloned());
            if p.read_only && !p.options.iter().any(|o| o == "ro" || o == "rw") {
                opts.push("ro".into());
            }
            let merged = merge_tmpfs_options(&p.destination, &opts)?;
            Ok(MountBuilder::default()
                .destination(&p.destination)
                .typ("tmpfs")
                .source("tmpfs")
                .options(merged)
                .build()?)
        }
        PlannedKind::Bind => {
            let mut opts = vec!["rbind".to_string()];
            if p.read_only {
                opts.push("ro".into());
            }
            // Volumes carry no propagation in Docker; binds default to rprivate.
            let prop = p.options.iter().find(|o| PROPAGATION.contains(&o.as_str()));
            match (prop, p.volume.is_some()) {
                (Some(prop), _) => opts.push(prop.clone()),
                (None, false) => opts.push("rprivate".into()),
                (None, true) => {}
            }
            bind(&p.destination, &p.source, opts)
        }
    }
}

/// The ordered mount list, and the `rootfsPropagation` the binds need (`rshared`/`rslave`
/// binds need a shared/slave root, as Docker sets).
pub fn oci_mounts(input: &MountsInput<'_>) -> Result<(Vec<Mount>, Option<String>), SpecError> {
    let mut planned: Vec<&PlannedMount> = input.planned.iter().collect();
    planned.sort_by_key(|p| depth(&p.destination));
    let user_dest: Vec<&str> = planned.iter().map(|p| p.destination.as_str()).collect();
    let user_dev = user_dest.contains(&"/dev");

    let mut out = Vec::new();
    for m in defaults::default_mounts(input.shm_size)? {
        let dest = m.destination().to_string_lossy().to_string();
        if user_dest.contains(&dest.as_str()) || (user_dev && dest.starts_with("/dev/")) {
            continue;
        }
        if dest == "/dev/shm" {
            if input.ipc_none {
                continue;
            }
            if input.ipc_host {
                out.push(bind(
                    "/dev/shm",
                    Path::new("/dev/shm"),
                    vec!["rbind".into(), "rprivate".into()],
                )?);
                continue;
            }
        }
        out.push(m);
    }
    if input.readonly_rootfs {
        for m in &mut out {
            let d = m.destination().to_string_lossy().to_string();
            if ["/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"].contains(&d.as_str()) {
                continue;
            }
            let mut opts = m.options().clone().unwrap_or_default();
            if !opts.iter().any(|o| o == "ro") {
                opts.push("ro".into());
                m.set_options(Some(opts));
            }
        }
    }
    if input.privileged {
        for m in &mut out {
            if m.destination() == Path::new("/sys") {
                strip_ro(m);
            }
        }
    }
    if input.writable_cgroups.unwrap_or(input.privileged) {
        for m in &mut out {
            if m.typ().as_deref() == Some("cgroup") {
                strip_ro(m);
            }
        }
    }

    let etc_opts = || {
        let mut o = vec!["rbind".to_string()];
        if input.readonly_rootfs {
            o.push("ro".into());
        }
        o.push("rprivate".into());
        o
    };
    for (dest, src) in [
        ("/etc/resolv.conf", &input.files.resolv_conf),
        ("/etc/hostname", &input.files.hostname),
        ("/etc/hosts", &input.files.hosts),
    ] {
        if !user_dest.contains(&dest) {
            out.push(bind(dest, src, etc_opts())?);
        }
    }

    let mut propagation = None;
    for p in planned {
        let m = planned_mount(p)?;
        if p.kind == PlannedKind::Bind {
            for o in &p.options {
                match o.as_str() {
                    "shared" | "rshared" => propagation = Some("shared".to_string()),
                    "slave" | "rslave" if propagation.is_none() => {
                        propagation = Some("rslave".to_string())
                    }
                    _ => {}
                }
            }
        }
        out.push(m);
    }
    Ok((out, propagation))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn files() -> EtcFiles {
        EtcFiles {
            hostname: "/c/hostname".into(),
            hosts: "/c/hosts".into(),
            resolv_conf: "/c/resolv.conf".into(),
        }
    }

    fn input<'a>(f: &'a EtcFiles, planned: &'a [PlannedMount]) -> MountsInput<'a> {
        MountsInput {
            shm_size: 0,
            ipc_none: false,
            ipc_host: false,
            readonly_rootfs: false,
            privileged: false,
            writable_cgroups: None,
            files: f,
            planned,
        }
    }

    fn dests(m: &[Mount]) -> Vec<String> {
        m.iter()
            .map(|m| m.destination().display().to_string())
            .collect()
    }

    fn opts(m: &[Mount], d: &str) -> Vec<String> {
        m.iter()
            .find(|m| m.destination() == Path::new(d))
            .unwrap()
            .options()
            .clone()
            .unwrap()
    }

    fn planned(
        kind: PlannedKind,
        dest: &str,
        ro: bool,
        options: &[&str],
        volume: Option<&str>,
    ) -> PlannedMount {
        PlannedMount {
            kind,
            source: PathBuf::from("/host").join(dest.trim_start_matches('/')),
            destination: dest.into(),
            read_only: ro,
            options: options.iter().map(|s| s.to_string()).collect(),
            volume: volume.map(String::from),
        }
    }

    #[test]
    fn dockers_order_and_etc_files() {
        let f = files();
        let p = [
            planned(PlannedKind::Bind, "/a/b/c", false, &["rprivate"], None),
            planned(PlannedKind::Bind, "/a", true, &["rprivate"], None),
            planned(PlannedKind::Bind, "/v", false, &[], Some("vol")),
            planned(
                PlannedKind::Tmpfs,
                "/run",
                false,
                &["size=64m", "exec"],
                None,
            ),
        ];
        let (m, prop) = oci_mounts(&input(&f, &p)).unwrap();
        assert_eq!(
            dests(&m),
            [
                "/proc",
                "/dev",
                "/dev/pts",
                "/sys",
                "/sys/fs/cgroup",
                "/dev/mqueue",
                "/dev/shm",
                "/etc/resolv.conf",
                "/etc/hostname",
                "/etc/hosts",
                "/a",
                "/v",
                "/run",
                "/a/b/c"
            ]
        );
        assert_eq!(opts(&m, "/etc/hosts"), ["rbind", "rprivate"]);
        assert_eq!(opts(&m, "/a"), ["rbind", "ro", "rprivate"]);
        assert_eq!(opts(&m, "/v"), ["rbind"]);
        assert_eq!(
            opts(&m, "/run"),
            ["nosuid", "nodev", "rprivate", "size=64m", "exec"]
        );
        assert_eq!(prop, None);
    }

    #[test]
    fn user_mounts_replace_defaults() {
        let f = files();
        let p = [
            planned(PlannedKind::Tmpfs, "/dev", false, &[], None),
            planned(PlannedKind::Bind, "/etc/hosts", false, &[], None),
        ];
        let (m, _) = oci_mounts(&input(&f, &p)).unwrap();
        let d = dests(&m);
        assert!(!d.iter().any(|d| d.starts_with("/dev/")));
        assert_eq!(
            d.iter()
                .filter(|d| *d == "/dev" || *d == "/etc/hosts")
                .count(),
            2
        );
    }

    #[test]
    fn read_only_rootfs_and_privileged() {
        let f = files();
        let mut i = input(&f, &[]);
        i.readonly_rootfs = true;
        let (m, _) = oci_mounts(&i).unwrap();
        assert_eq!(opts(&m, "/etc/hosts"), ["rbind", "ro", "rprivate"]);
        assert!(!opts(&m, "/dev/shm").contains(&"ro".to_string()));
        assert!(!opts(&m, "/proc").contains(&"ro".to_string()));
        let mut i = input(&f, &[]);
        i.privileged = true;
        let (m, _) = oci_mounts(&i).unwrap();
        assert!(!opts(&m, "/sys").contains(&"ro".to_string()));
        assert!(!opts(&m, "/sys/fs/cgroup").contains(&"ro".to_string()));
    }

    #[test]
    fn ipc_modes_and_shm_size() {
        let f = files();
        let mut i = input(&f, &[]);
        i.ipc_none = true;
        assert!(!dests(&oci_mounts(&i).unwrap().0).contains(&"/dev/shm".to_string()));
        let mut i = input(&f, &[]);
        i.ipc_host = true;
        let (m, _) = oci_mounts(&i).unwrap();
        assert_eq!(m[6].typ().as_deref(), Some("bind"));
        let mut i = input(&f, &[]);
        i.shm_size = 1 << 20;
        assert!(opts(&oci_mounts(&i).unwrap().0, "/dev/shm").contains(&"size=1048576".to_string()));
    }

    #[test]
    fn shared_binds_make_the_root_shared() {
        let f = files();
        let p = [planned(PlannedKind::Bind, "/s", false, &["rshared"], None)];
        let (m, prop) = oci_mounts(&input(&f, &p)).unwrap();
        assert_eq!(opts(&m, "/s"), ["rbind", "rshared"]);
        assert_eq!(prop.as_deref(), Some("shared"));
    }
}
