//! cgroupsPath resolution (runc semantics): absolute paths start at each hierarchy's root,
//! relative ones under the caller's own cgroup of that hierarchy, none means
//! "/berth/<container_id>". ".." that would climb out of the starting point is rejected.

use std::path::{Component, Path, PathBuf};

use super::error::CgroupError;

/// Where the container's cgroup goes, before it is placed in a hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Hierarchy-absolute, normalised, starting with "/".
    Absolute(PathBuf),
    /// Relative to the caller's own cgroup, normalised, non-empty.
    Relative(PathBuf),
}

/// Lexically normalise `p`, rejecting ".." that leaves the start.
fn normalise(p: &Path, original: &Path) -> Result<PathBuf, CgroupError> {
    let mut out: Vec<&std::ffi::OsStr> = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                if out.pop().is_none() {
                    return Err(CgroupError::InvalidPath {
                        path: original.into(),
                        reason: "\"..\" climbs out of the cgroup hierarchy (or out of the caller's own cgroup)",
                    });
                }
            }
            Component::Prefix(_) => {}
        }
    }
    Ok(out.iter().collect())
}

pub(crate) fn resolve(
    cgroups_path: Option<&Path>,
    container_id: &str,
) -> Result<Target, CgroupError> {
    let given = cgroups_path.filter(|p| !p.as_os_str().is_empty());
    let Some(p) = given else {
        if container_id.is_empty()
            || container_id.contains('/')
            || container_id == "."
            || container_id == ".."
        {
            return Err(CgroupError::InvalidPath {
                path: PathBuf::from("/berth").join(container_id),
                reason: "the container id must be a non-empty single path component",
            });
        }
        return Ok(Target::Absolute(PathBuf::from("/berth").join(container_id)));
    };
    let s = p.to_string_lossy();
    if !s.contains('/') && s.matches(':').count() == 2 {
        return Err(CgroupError::InvalidPath {
            path: p.into(),
            reason: "this is a systemd \"slice:prefix:name\" path; berth drives cgroupfs directly, give a filesystem path",
        });
    }
    let norm = normalise(p, p)?;
    if p.is_absolute() {
        Ok(Target::Absolute(Path::new("/").join(norm)))
    } else if norm.as_os_str().is_empty() {
        Err(CgroupError::InvalidPath {
            path: p.into(),
            reason: "a relative cgroupsPath must name a cgroup below the caller's own",
        })
    } else {
        Ok(Target::Relative(norm))
    }
}

/// The host directory of `target` in a hierarchy mounted at `mount_point`, whose mounted root
/// is `mount_root`, where the caller sits in `own_cgroup` (all hierarchy-absolute).
pub(crate) fn host_dir(
    target: &Target,
    mount_point: &Path,
    mount_root: &Path,
    own_cgroup: &Path,
) -> Result<PathBuf, CgroupError> {
    let cg = match target {
        Target::Absolute(a) => a.clone(),
        Target::Relative(r) => own_cgroup.join(r),
    };
    let rel = cg.strip_prefix(mount_root).map_err(|_| CgroupError::InvalidPath {
        path: cg.clone(),
        reason: "not visible through the cgroup mount (the mount shows only a subtree, e.g. inside a cgroup namespace)",
    })?;
    if rel.as_os_str().is_empty() {
        return Err(CgroupError::InvalidPath {
            path: cg,
            reason: "resolves to the root of the hierarchy, which berth never uses as a container cgroup",
        });
    }
    Ok(mount_point.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_berth_id() {
        assert_eq!(
            resolve(None, "abc").unwrap(),
            Target::Absolute("/berth/abc".into())
        );
        assert_eq!(
            resolve(Some(Path::new("")), "abc").unwrap(),
            Target::Absolute("/berth/abc".into())
        );
        assert!(resolve(None, "").is_err());
        assert!(resolve(None, "a/b").is_err());
        assert!(resolve(None, "..").is_err());
    }

    #[test]
    fn absolute_and_relative() {
        assert_eq!(
            resolve(Some(Path::new("/a/./b/")), "x").unwrap(),
            Target::Absolute("/a/b".into())
        );
        assert_eq!(
            resolve(Some(Path::new("a/b")), "x").unwrap(),
            Target::Relative("a/b".into())
        );
        assert_eq!(
            resolve(Some(Path::new("a/../b")), "x").unwrap(),
            Target::Relative("b".into())
        );
    }

    #[test]
    fn dotdot_escape_rejected() {
        assert!(resolve(Some(Path::new("/../etc")), "x").is_err());
        assert!(resolve(Some(Path::new("/a/../../b")), "x").is_err());
        assert!(resolve(Some(Path::new("../sibling")), "x").is_err());
        assert!(resolve(Some(Path::new("a/../..")), "x").is_err());
        assert!(resolve(Some(Path::new("system.slice:berth:abc")), "x").is_err());
        assert!(resolve(Some(Path::new("/")), "x").is_ok());
    }

    #[test]
    fn host_dirs() {
        let mp = Path::new("/sys/fs/cgroup/memory");
        let own = Path::new("/process_api/h");
        let abs = Target::Absolute("/berth/c1".into());
        let rel = Target::Relative("c1".into());
        assert_eq!(
            host_dir(&abs, mp, Path::new("/"), own).unwrap(),
            mp.join("berth/c1")
        );
        assert_eq!(
            host_dir(&rel, mp, Path::new("/"), own).unwrap(),
            mp.join("process_api/h/c1")
        );
        // Mounted subtree (cgroup namespace / bind mount of /process_api).
        assert_eq!(
            host_dir(&rel, mp, Path::new("/process_api"), own).unwrap(),
            mp.join("h/c1")
        );
        assert!(host_dir(&abs, mp, Path::new("/process_api"), own).is_err());
        assert!(host_dir(&Target::Absolute("/".into()), mp, Path::new("/"), own).is_err());
    }
}
