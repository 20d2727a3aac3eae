//! What to mount into a container, from Docker's four sources: `HostConfig.Binds` (`-v`),
//! `HostConfig.Mounts` (`--mount`), `HostConfig.Tmpfs` (`--tmpfs`) and `Config.Volumes`
//! (anonymous volumes from `-v /dst` and the image's `VOLUME`). Parsing follows moby's
//! `volume/mounts/linux_parser.go`; the engine then resolves volumes to host directories and
//! hands [`PlannedMount`]s to [`super::build`].

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::tmpfs::{merge_tmpfs_options, tmpfs_data};
use super::SpecError;
use crate::containers::config::{ContainerConfig, HostConfig, MountSpec};

/// Where a mount's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSource {
    /// A host path (absolute, cleaned).
    Bind(PathBuf),
    /// A named (`Some`) or anonymous (`None`) volume; the engine creates or finds it.
    Volume(Option<String>),
    Tmpfs,
}

/// One mount the user asked for, before volumes are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountRequest {
    pub source: MountSource,
    /// Absolute, cleaned path inside the container.
    pub destination: String,
    pub read_only: bool,
    /// Binds: the propagation (`rprivate` unless given). Volumes: `nocopy` when the volume
    /// must not be filled from the image. Tmpfs: the tmpfs data (`size=…`, `mode=…`, flags).
    pub options: Vec<String>,
    /// `-v /host:/dst` creates a missing host directory (Docker's legacy behaviour);
    /// `--mount type=bind` only with `bind-create-mountpoint`.
    pub create_host_path: bool,
}

/// What [`super::build`] mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlannedKind {
    Bind,
    Tmpfs,
}

/// A mount with its host source resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMount {
    pub kind: PlannedKind,
    /// Host directory or file (ignored for tmpfs).
    pub source: PathBuf,
    pub destination: String,
    pub read_only: bool,
    /// As in [`MountRequest::options`].
    pub options: Vec<String>,
    /// The volume's name, for `inspect`'s `Mounts`.
    pub volume: Option<String>,
}

/// Propagation modes a bind may ask for.
pub const PROPAGATION: [&str; 6] = [
    "private", "rprivate", "slave", "rslave", "shared", "rshared",
];

/// `path.Clean` for absolute container paths.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(s) => out.push(s.to_str().unwrap_or_default()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    format!("/{}", out.join("/"))
}

fn mount_err(kind: &str, reason: impl Into<String>) -> SpecError {
    SpecError::MountConfig {
        kind: kind.to_string(),
        reason: reason.into(),
    }
}

/// Docker's destination checks: absolute and not `/`.
fn check_destination(dest: &str) -> Result<String, String> {
    if !dest.starts_with('/') {
        return Err(format!(
            "invalid mount path: '{dest}' mount path must be absolute"
        ));
    }
    let d = clean(dest);
    if d == "/" {
        return Err("invalid specification: destination can't be '/'".into());
    }
    Ok(d)
}

/// The local volume driver's name rule.
fn check_volume_name(name: &str) -> Result<(), SpecError> {
    if name.len() == 1 {
        return Err(SpecError::VolumeNameTooShort { name: name.into() });
    }
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SpecError::InvalidVolumeName { name: name.into() })
    }
}

#[derive(Default)]
struct Mode {
    read_only: bool,
    propagation: Option<String>,
    nocopy: bool,
}

/// A `-v` mode: a comma list with at most one of each kind.
fn parse_mode(mode: &str) -> Option<Mode> {
    let mut m = Mode::default();
    if mode.is_empty() {
        return Some(m);
    }
    let (mut rw, mut label, mut prop, mut copy, mut consistency) = (0, 0, 0, 0, 0);
    for o in mode.split(',') {
        match o {
            "ro" | "rw" => {
                rw += 1;
                m.read_only = o == "ro";
            }
            "z" | "Z" => label += 1,
            "nocopy" => {
                copy += 1;
                m.nocopy = true;
            }
            "consistent" | "cached" | "delegated" => consistency += 1,
            p if PROPAGATION.contains(&p) => {
                prop += 1;
                m.propagation = Some(p.to_string());
            }
            _ => return None,
        }
    }
    (rw <= 1 && label <= 1 && prop <= 1 && copy <= 1 && consistency <= 1).then_some(m)
}

/// One `-v` string.
pub fn parse_bind(raw: &str) -> Result<MountRequest, SpecError> {
    let parts: Vec<&str> = raw.splitn(4, ':').collect();
    let invalid = || SpecError::InvalidVolumeSpec {
        spec: raw.to_string(),
    };
    if parts[0].is_empty() {
        return Err(invalid());
    }
    let (source, dest, mode) = match parts.as_slice() {
        [dest] => ("", *dest, ""),
        [src, dest] => {
            if parse_mode(dest).is_some() {
                return Err(invalid());
            }
            (*src, *dest, "")
        }
        [src, dest, mode] => (*src, *dest, *mode),
        _ => return Err(invalid()),
    };
    let m = parse_mode(mode).ok_or_else(|| SpecError::InvalidMode {
        mode: mode.to_string(),
    })?;
    let detail = |reason: String| SpecError::InvalidVolumeSpecDetail {
        spec: raw.to_string(),
        reason,
    };
    let is_bind = source.starts_with('/');
    let kind = if is_bind { "bind" } else { "volume" };
    let destination = check_destination(dest)
        .map_err(|r| detail(format!("invalid mount config for type \"{kind}\": {r}")))?;
    if is_bind {
        if m.nocopy {
            return Err(detail(
                "invalid mount config for type \"bind\": field VolumeOptions must not be specified"
                    .into(),
            ));
        }
        return Ok(MountRequest {
            source: MountSource::Bind(PathBuf::from(clean(source))),
            destination,
            read_only: m.read_only,
            options: vec![m.propagation.unwrap_or_else(|| "rprivate".into())],
            create_host_path: true,
        });
    }
    if m.propagation.is_some() {
        return Err(detail(
            "invalid mount config for type \"volume\": field BindOptions must not be specified"
                .into(),
        ));
    }
    let name = if source.is_empty() {
        None
    } else {
        check_volume_name(source)?;
        Some(source.to_string())
    };
    Ok(MountRequest {
        source: MountSource::Volume(name),
        destination,
        read_only: m.read_only,
        options: if m.nocopy {
            vec!["nocopy".into()]
        } else {
            vec![]
        },
        create_host_path: false,
    })
}

/// One `--mount`.
pub fn parse_mount(m: &MountSpec) -> Result<MountRequest, SpecError> {
    let kind = m.kind.as_str();
    let extra = |field: &str| mount_err(kind, format!("field {field} must not be specified"));
    if kind != "bind" && m.bind_options.is_some() {
        return Err(extra("BindOptions"));
    }
    if kind != "volume" && m.volume_options.is_some() {
        return Err(extra("VolumeOptions"));
    }
    if kind != "tmpfs" && m.tmpfs_options.is_some() {
        return Err(extra("TmpfsOptions"));
    }
    if m.target.is_empty() {
        return Err(mount_err(kind, "field Target must not be empty"));
    }
    let destination = check_destination(&m.target).map_err(|r| mount_err(kind, r))?;
    match kind {
        "bind" => {
            if m.source.is_empty() {
                return Err(mount_err(kind, "field Source must not be empty"));
            }
            let opts = m.bind_options.clone().unwrap_or_default();
            if !opts.propagation.is_empty() && !PROPAGATION.contains(&opts.propagation.as_str()) {
                return Err(mount_err(
                    kind,
                    format!("invalid propagation mode: {}", opts.propagation),
                ));
            }
            if !m.source.starts_with('/') {
                return Err(mount_err(
                    kind,
                    format!(
                        "invalid mount path: '{}' mount path must be absolute",
                        m.source
                    ),
                ));
            }
            let source = PathBuf::from(clean(&m.source));
            if !opts.create_mountpoint && std::fs::symlink_metadata(&source).is_err() {
                return Err(mount_err(
                    kind,
                    format!("bind source path does not exist: {}", source.display()),
                ));
            }
            let propagation = if opts.propagation.is_empty() {
                "rprivate".into()
            } else {
                opts.propagation
            };
            Ok(MountRequest {
                source: MountSource::Bind(source),
                destination,
                read_only: m.read_only,
                options: vec![propagation],
                create_host_path: opts.create_mountpoint,
            })
        }
        "volume" => {
            let name = if m.source.is_empty() {
                None
            } else {
                check_volume_name(&m.source)?;
                Some(m.source.clone())
            };
            let nocopy = m.volume_options.as_ref().is_some_and(|v| v.no_copy);
            Ok(MountRequest {
                source: MountSource::Volume(name),
                destination,
                read_only: m.read_only,
                options: if nocopy {
                    vec!["nocopy".into()]
                } else {
                    vec![]
                },
                create_host_path: false,
            })
        }
        "tmpfs" => {
            if !m.source.is_empty() {
                return Err(extra("Source"));
            }
            let t = m.tmpfs_options.clone().unwrap_or_default();
            Ok(MountRequest {
                source: MountSource::Tmpfs,
                destination,
                read_only: m.read_only,
                options: tmpfs_data(m.read_only, t.mode, t.size_bytes),
                create_host_path: false,
            })
        }
        _ => Err(mount_err(kind, "mount type unknown")),
    }
}

/// Everything the container mounts besides the defaults, in Docker's precedence: `-v`,
/// then `--mount` (a destination used twice is an error), `--tmpfs`, then the anonymous
/// volumes of `Config.Volumes` whose destination nothing else took.
pub fn plan_mounts(
    config: &ContainerConfig,
    host: &HostConfig,
) -> Result<Vec<MountRequest>, SpecError> {
    let mut out: Vec<MountRequest> = Vec::new();
    let mut taken = BTreeSet::new();
    let mut push = |out: &mut Vec<MountRequest>, r: MountRequest| -> Result<(), SpecError> {
        if !taken.insert(r.destination.clone()) {
            return Err(SpecError::DuplicateMountPoint {
                destination: r.destination,
            });
        }
        out.push(r);
        Ok(())
    };
    for raw in &host.binds {
        push(&mut out, parse_bind(raw)?)?;
    }
    for m in &host.mounts {
        push(&mut out, parse_mount(m)?)?;
    }
    for (dest, data) in &host.tmpfs {
        let destination = check_destination(dest).map_err(|r| mount_err("tmpfs", r))?;
        let options: Vec<String> = data
            .split(',')
            .filter(|o| !o.is_empty())
            .map(String::from)
            .collect();
        merge_tmpfs_options(&destination, &options)?;
        let read_only = options
            .iter()
            .rev()
            .find(|o| *o == "ro" || *o == "rw")
            .is_some_and(|o| o == "ro");
        push(
            &mut out,
            MountRequest {
                source: MountSource::Tmpfs,
                destination,
                read_only,
                options,
                create_host_path: false,
            },
        )?;
    }
    let mut volumes: Vec<MountRequest> = Vec::new();
    for dest in config.volumes.keys() {
        let destination =
            check_destination(dest).map_err(|reason| SpecError::InvalidVolumeSpecDetail {
                spec: dest.clone(),
                reason,
            })?;
        if out
            .iter()
            .chain(volumes.iter())
            .any(|r| r.destination == destination)
        {
            continue;
        }
        volumes.push(MountRequest {
            source: MountSource::Volume(None),
            destination,
            read_only: false,
            options: vec![],
            create_host_path: false,
        });
    }
    out.extend(volumes);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::config::{BindOptions, Empty, TmpfsOptions, VolumeOptions};

    fn host_binds(b: &[&str]) -> HostConfig {
        HostConfig {
            binds: b.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn named_volume_and_abs_bind() {
        let r = plan_mounts(
            &ContainerConfig::default(),
            &host_binds(&["data:/d", "/abs/../src:/e/:ro"]),
        )
        .unwrap();
        assert_eq!(r[0].source, MountSource::Volume(Some("data".into())));
        assert_eq!((r[0].destination.as_str(), r[0].read_only), ("/d", false));
        assert_eq!(r[1].source, MountSource::Bind("/src".into()));
        assert_eq!((r[1].destination.as_str(), r[1].read_only), ("/e", true));
        assert_eq!(r[1].options, vec!["rprivate"]);
        assert!(r[1].create_host_path);
    }

    #[test]
    fn modes() {
        let r = parse_bind("/a:/b:ro,rshared").unwrap();
        assert!(r.read_only);
        assert_eq!(r.options, vec!["rshared"]);
        let r = parse_bind("v1:/b:nocopy").unwrap();
        assert_eq!(r.options, vec!["nocopy"]);
        assert_eq!(
            parse_bind("/a:/b:ro,rw").unwrap_err().to_string(),
            "invalid mode: ro,rw"
        );
        assert_eq!(
            parse_bind("/a:/b:fast").unwrap_err().to_string(),
            "invalid mode: fast"
        );
        assert!(parse_bind("v1:/b:shared").is_err());
    }

    #[test]
    fn anonymous_from_v_and_config_volumes() {
        let r = parse_bind("/d").unwrap();
        assert_eq!(r.source, MountSource::Volume(None));
        let mut c = ContainerConfig::default();
        c.volumes.insert("/data".into(), Empty {});
        c.volumes.insert("/taken".into(), Empty {});
        let r = plan_mounts(&c, &host_binds(&["/h:/taken"])).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].source, MountSource::Volume(None));
        assert_eq!(r[1].destination, "/data");
    }

    #[test]
    fn bad_specs() {
        for (raw, msg) in [
            ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
            (":/d", "invalid volume specification: ':/d'"),
            ("/foo:rw", "invalid volume specification: '/foo:rw'"),
            ("/a:/", "invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
            ("/a:rel", "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
        ] {
            assert_eq!(parse_bind(raw).unwrap_err().to_string(), msg, "{raw}");
        }
    }

    #[test]
    fn relative_bind_source_is_a_bad_volume_name() {
        let e = parse_bind("./src:/d").unwrap_err();
        assert!(matches!(e, SpecError::InvalidVolumeName { .. }));
        assert!(e
            .to_string()
            .contains("If you intended to pass a host directory, use absolute path"));
        assert!(matches!(
            parse_bind("x:/d"),
            Err(SpecError::VolumeNameTooShort { .. })
        ));
    }

    #[test]
    fn duplicate_destination() {
        let e = plan_mounts(
            &ContainerConfig::default(),
            &host_binds(&["a1:/d", "/h:/d"]),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "Duplicate mount point: /d");
    }

    #[test]
    fn mount_flag() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().to_str().unwrap().to_string();
        let m = MountSpec {
            kind: "bind".into(),
            source: src.clone(),
            target: "/x".into(),
            read_only: true,
            bind_options: Some(BindOptions {
                propagation: "rslave".into(),
                create_mountpoint: false,
            }),
            ..Default::default()
        };
        let r = parse_mount(&m).unwrap();
        assert_eq!(r.source, MountSource::Bind(src.into()));
        assert_eq!(
            (r.read_only, r.options.clone(), r.create_host_path),
            (true, vec!["rslave".into()], false)
        );

        let missing = MountSpec {
            kind: "bind".into(),
            source: "/nope".into(),
            target: "/x".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_mount(&missing).unwrap_err().to_string(),
            "invalid mount config for type \"bind\": bind source path does not exist: /nope"
        );
        let rel = MountSpec {
            kind: "bind".into(),
            source: "rel".into(),
            target: "/x".into(),
            ..Default::default()
        };
        assert!(parse_mount(&rel)
            .unwrap_err()
            .to_string()
            .contains("must be absolute"));

        let vol = MountSpec {
            kind: "volume".into(),
            source: "cache".into(),
            target: "/c".into(),
            volume_options: Some(VolumeOptions {
                no_copy: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = parse_mount(&vol).unwrap();
        assert_eq!(
            (r.source, r.options),
            (
                MountSource::Volume(Some("cache".into())),
                vec!["nocopy".to_string()]
            )
        );

        let t = MountSpec {
            kind: "tmpfs".into(),
            target: "/t".into(),
            tmpfs_options: Some(TmpfsOptions {
                size_bytes: 64 << 20,
                mode: 0o1770,
            }),
            ..Default::default()
        };
        assert_eq!(
            parse_mount(&t).unwrap().options,
            vec!["mode=1770", "size=64m"]
        );

        let wrong = MountSpec {
            kind: "tmpfs".into(),
            target: "/t".into(),
            bind_options: Some(BindOptions::default()),
            ..Default::default()
        };
        assert_eq!(
            parse_mount(&wrong).unwrap_err().to_string(),
            "invalid mount config for type \"tmpfs\": field BindOptions must not be specified"
        );
        let unknown = MountSpec {
            kind: "npipe".into(),
            target: "/t".into(),
            ..Default::default()
        };
        assert!(parse_mount(&unknown)
            .unwrap_err()
            .to_string()
            .ends_with("mount type unknown"));
    }

    #[test]
    fn tmpfs_flag() {
        let mut h = HostConfig::default();
        h.tmpfs.insert("/run".into(), "size=64m,exec".into());
        h.tmpfs.insert("/ro".into(), "ro".into());
        let r = plan_mounts(&ContainerConfig::default(), &h).unwrap();
        assert_eq!(r[0].destination, "/ro");
        assert!(r[0].read_only);
        assert_eq!(r[1].options, vec!["size=64m", "exec"]);
        h.tmpfs.insert("/bad".into(), "color=red".into());
        assert!(matches!(
            plan_mounts(&ContainerConfig::default(), &h),
            Err(SpecError::InvalidTmpfsOption { .. })
        ));
    }
}
