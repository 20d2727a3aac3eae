//! `-u`/`USER` → uid, gid and supplementary gids, read from the image's `/etc/passwd` and
//! `/etc/group` as runc's `user.GetExecUser` and moby's `getUser` do: a name must exist; a
//! number need not; without an explicit group the user's groups from `/etc/group` are
//! added; `--group-add` adds names or numbers. The files come from the topmost unpacked
//! layer that has them, honouring whiteouts (tar form `.wh.NAME`, overlay form: a 0:0
//! character device, opaque directories).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::SpecError;

/// Docker's limit for uids and gids.
const MAX_ID: u64 = i32::MAX as u64;

/// The resolved identity, as the OCI `process.user` wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub uid: u32,
    pub gid: u32,
    /// The primary gid first, then the user's groups, then `--group-add` (Docker's order).
    pub additional_gids: Vec<u32>,
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
}

struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// The content of `rel` (e.g. `etc/passwd`) as the union of `layers` (lowest first) shows
/// it: `None` if no layer has it or a whiteout above the topmost copy hides it. Only regular
/// files count — a symlink in an image could point at a host file.
pub fn read_from_layers(layers: &[PathBuf], rel: &str) -> Result<Option<String>, SpecError> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    for layer in layers.iter().rev() {
        let path = layer.join(rel);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if meta.file_type().is_char_device() && meta.rdev() == 0 {
                return Ok(None);
            }
            if meta.is_file() {
                return std::fs::read_to_string(&path)
                    .map(Some)
                    .map_err(|source| SpecError::ReadImageFile { path, source });
            }
            return Ok(None);
        }
        if hidden_below(layer, &parts) {
            return Ok(None);
        }
    }
    Ok(None)
}

/// Whether `layer` hides `parts` (missing there) of the layers below: a whiteout of the
/// path or of a parent, or an opaque parent directory.
fn hidden_below(layer: &Path, parts: &[&str]) -> bool {
    let mut dir = layer.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        if dir.join(format!(".wh.{part}")).exists() {
            return true;
        }
        let next = dir.join(part);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_char_device() && m.rdev() == 0 => return true,
            Ok(m) if m.is_dir() => {
                let is_last = i + 1 == parts.len();
                if !is_last && is_opaque(&next) {
                    return true;
                }
            }
            _ => return false,
        }
        dir = next;
    }
    false
}

fn is_opaque(dir: &Path) -> bool {
    if dir.join(".wh..wh..opq").exists() {
        return true;
    }
    let mut buf = [0u8; 4];
    matches!(rustix::fs::lgetxattr(dir, "trusted.overlay.opaque", &mut buf), Ok(n) if buf[..n] == *b"y")
}

fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.trim().parse().ok()?,
                gid: f.get(3)?.trim().parse().ok()?,
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first()?.to_string(),
                gid: f.get(2)?.trim().parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn numeric(s: &str, spec: &str) -> Result<Option<u32>, SpecError> {
    match s.parse::<u64>() {
        Ok(n) if n <= MAX_ID => Ok(u32::try_from(n).ok()),
        Ok(_) => Err(SpecError::IdOutOfRange {
            spec: spec.to_string(),
        }),
        Err(_)
            if s.starts_with('-') && s[1..].chars().all(|c| c.is_ascii_digit()) && s.len() > 1 =>
        {
            Err(SpecError::IdOutOfRange {
                spec: spec.to_string(),
            })
        }
        Err(_) => Ok(None),
    }
}

/// Resolves `spec` (`""`, `name`, `uid`, `name:group`, `uid:gid`…) and `group_add` against
/// the image's files (`None` = the image has no such file).
pub fn resolve(
    spec: &str,
    group_add: &[String],
    passwd: Option<&str>,
    group: Option<&str>,
) -> Result<ResolvedUser, SpecError> {
    let (user_arg, group_arg) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let users = passwd.map(parse_passwd);
    let groups = group.map(parse_group);

    let uid_num = numeric(user_arg, spec)?;
    let (mut uid, mut gid, mut matched_name) = (0u32, 0u32, None::<String>);
    let found = users.as_ref().and_then(|users| {
        users.iter().find(|u| {
            if user_arg.is_empty() {
                u.uid == 0
            } else {
                u.name == user_arg || uid_num == Some(u.uid)
            }
        })
    });
    match found {
        Some(u) => {
            uid = u.uid;
            gid = u.gid;
            matched_name = Some(u.name.clone());
        }
        None if user_arg.is_empty() => {}
        None => match uid_num {
            Some(n) => uid = n,
            None => {
                return Err(SpecError::UserNotFound {
                    user: user_arg.to_string(),
                })
            }
        },
    }

    let mut sgids = Vec::new();
    match group_arg.filter(|g| !g.is_empty()) {
        Some(g) => {
            let gid_num = numeric(g, spec)?;
            let hit = groups
                .as_ref()
                .and_then(|gs| gs.iter().find(|e| e.name == g || gid_num == Some(e.gid)));
            gid = match (hit, gid_num) {
                (Some(e), _) => e.gid,
                (None, Some(n)) => n,
                (None, None) => {
                    return Err(SpecError::GroupNotFound {
                        group: g.to_string(),
                    })
                }
            };
        }
        None => {
            if let (Some(name), Some(gs)) = (&matched_name, &groups) {
                sgids = gs
                    .iter()
                    .filter(|e| e.members.iter().any(|m| m == name))
                    .map(|e| e.gid)
                    .collect();
            }
        }
    }

    let mut additional = vec![gid];
    additional.extend(sgids);
    let mut added = Vec::new();
    for g in group_add {
        let num = numeric(g, g)?;
        let hit = groups
            .as_ref()
            .and_then(|gs| gs.iter().find(|e| e.name == *g || num == Some(e.gid)));
        let id = match (hit, num) {
            (Some(e), _) => e.gid,
            (None, Some(n)) => n,
            (None, None) => return Err(SpecError::GroupNotFound { group: g.clone() }),
        };
        if !added.contains(&id) {
            added.push(id);
        }
    }
    additional.extend(added);
    Ok(ResolvedUser {
        uid,
        gid,
        additional_gids: additional,
    })
}

/// [`resolve`] with the files read from the image's layers.
pub fn resolve_in_layers(
    spec: &str,
    group_add: &[String],
    layers: &[PathBuf],
) -> Result<ResolvedUser, SpecError> {
    let passwd = read_from_layers(layers, "etc/passwd")?;
    let group = read_from_layers(layers, "etc/group")?;
    resolve(spec, group_add, passwd.as_deref(), group.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
                          daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                          www:x:33:33:www:/var/www:/usr/sbin/nologin\n\
                          nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    const GROUP: &str = "root:x:0:\n\
                         daemon:x:1:\n\
                         audio:x:29:www,nobody\n\
                         video:x:44:www\n\
                         www:x:33:\n\
                         staff:x:50:\n";

    fn layers() -> (tempfile::TempDir, Vec<PathBuf>) {
        let d = tempfile::tempdir().unwrap();
        let l1 = d.path().join("l1");
        std::fs::create_dir_all(l1.join("etc")).unwrap();
        std::fs::write(l1.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
        std::fs::write(l1.join("etc/group"), GROUP).unwrap();
        let l2 = d.path().join("l2");
        std::fs::create_dir_all(l2.join("etc")).unwrap();
        std::fs::write(l2.join("etc/passwd"), PASSWD).unwrap();
        (d, vec![l1, l2])
    }

    #[test]
    fn empty_is_root_with_gid_zero() {
        let (_d, l) = layers();
        let u = resolve_in_layers("", &[], &l).unwrap();
        assert_eq!(
            u,
            ResolvedUser {
                uid: 0,
                gid: 0,
                additional_gids: vec![0]
            }
        );
    }

    #[test]
    fn name_from_the_topmost_layer_with_its_groups() {
        let (_d, l) = layers();
        let u = resolve_in_layers("www", &[], &l).unwrap();
        assert_eq!(
            u,
            ResolvedUser {
                uid: 33,
                gid: 33,
                additional_gids: vec![33, 29, 44]
            }
        );
    }

    #[test]
    fn uid_number_matches_the_entry() {
        let (_d, l) = layers();
        let u = resolve_in_layers("65534", &[], &l).unwrap();
        assert_eq!((u.uid, u.gid), (65534, 65534));
        assert_eq!(u.additional_gids, vec![65534, 29]);
    }

    #[test]
    fn number_not_in_passwd_is_allowed_with_gid_zero() {
        let (_d, l) = layers();
        let u = resolve_in_layers("1234", &[], &l).unwrap();
        assert_eq!(
            u,
            ResolvedUser {
                uid: 1234,
                gid: 0,
                additional_gids: vec![0]
            }
        );
        let u = resolve_in_layers("1234:5678", &[], &l).unwrap();
        assert_eq!(
            u,
            ResolvedUser {
                uid: 1234,
                gid: 5678,
                additional_gids: vec![5678]
            }
        );
    }

    #[test]
    fn user_and_group_explicit_drops_supplementary() {
        let (_d, l) = layers();
        let u = resolve_in_layers("www:staff", &[], &l).unwrap();
        assert_eq!(
            u,
            ResolvedUser {
                uid: 33,
                gid: 50,
                additional_gids: vec![50]
            }
        );
        let u = resolve_in_layers("daemon:44", &[], &l).unwrap();
        assert_eq!((u.uid, u.gid), (1, 44));
    }

    #[test]
    fn group_add_by_name_and_number() {
        let (_d, l) = layers();
        let u = resolve_in_layers(
            "daemon",
            &["staff".into(), "777".into(), "staff".into()],
            &l,
        )
        .unwrap();
        assert_eq!(u.additional_gids, vec![1, 50, 777]);
        let e = resolve_in_layers("daemon", &["nogroup".into()], &l).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unable to find group nogroup: no matching entries in group file"
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        let (_d, l) = layers();
        let e = resolve_in_layers("nobody2", &[], &l).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unable to find user nobody2: no matching entries in passwd file"
        );
        let e = resolve_in_layers("www:nogroup", &[], &l).unwrap_err();
        assert!(matches!(e, SpecError::GroupNotFound { .. }));
        assert!(matches!(
            resolve_in_layers("99999999999", &[], &l),
            Err(SpecError::IdOutOfRange { .. })
        ));
    }

    #[test]
    fn no_passwd_file_numbers_only() {
        assert_eq!(resolve("42:7", &[], None, None).unwrap().uid, 42);
        assert!(resolve("www", &[], None, None).is_err());
        assert_eq!(resolve("", &[], None, None).unwrap().uid, 0);
    }

    #[test]
    fn whiteouts_hide_lower_files() {
        let (_d, mut l) = layers();
        let top = l[1].parent().unwrap().join("l3");
        std::fs::create_dir_all(top.join("etc")).unwrap();
        std::fs::write(top.join("etc/.wh.passwd"), "").unwrap();
        l.push(top.clone());
        assert_eq!(read_from_layers(&l, "etc/passwd").unwrap(), None);
        assert!(read_from_layers(&l, "etc/group").unwrap().is_some());
        std::fs::write(top.join("etc/.wh..wh..opq"), "").unwrap();
        assert_eq!(read_from_layers(&l, "etc/group").unwrap(), None);
        let top2 = l[0].parent().unwrap().join("l4");
        std::fs::create_dir_all(&top2).unwrap();
        std::fs::write(top2.join(".wh.etc"), "").unwrap();
        l.pop();
        l.push(top2);
        assert_eq!(read_from_layers(&l, "etc/group").unwrap(), None);
    }
}
