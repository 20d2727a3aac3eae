//! `-v/--volume` and `--tmpfs`. A `-v` with a source becomes a `HostConfig.Binds` entry
//! (`./rel` made absolute, as Docker's CLI does); a bare `-v /dst` an anonymous volume in
//! `Config.Volumes`. Each spec is checked as Docker's daemon checks it (`ParseMountRaw`),
//! so the errors are its `invalid volume specification: '…'` family.

use std::collections::BTreeMap;
use std::path::Path;

use engine::containers::config::Empty;

use super::error::FlagError;

/// What the `-v` flags add to the container.
#[derive(Debug, Default, PartialEq)]
pub struct Volumes {
    pub binds: Vec<String>,
    pub anonymous: BTreeMap<String, Empty>,
}

/// Parses every `-v` value; `cwd` resolves `./src` sources.
pub fn parse_volumes(specs: &[String], cwd: &Path) -> Result<Volumes, FlagError> {
    let mut out = Volumes::default();
    for spec in specs {
        client_check(spec)?;
        let spec = absolutize(spec, cwd);
        let parsed = parse_mount_raw(&spec).map_err(FlagError::daemon)?;
        if parsed.has_source {
            if !out.binds.contains(&spec) {
                out.binds.push(spec);
            }
        } else {
            out.anonymous.insert(spec, Empty {});
        }
    }
    Ok(out)
}

/// The CLI's own syntax check (Docker's `volumespec.Parse`): no empty section between
/// colons, no fourth section.
fn client_check(spec: &str) -> Result<(), FlagError> {
    let err = |why: &str| FlagError::invalid(format!("invalid spec: {spec}: {why}"));
    if spec.is_empty() {
        return Err(FlagError::invalid("invalid empty volume spec"));
    }
    if spec.len() <= 2 {
        return Ok(());
    }
    let sections: Vec<&str> = spec.split(':').collect();
    for (i, s) in sections.iter().enumerate() {
        if s.is_empty() {
            return Err(err("empty section between colons"));
        }
        if i == 3 {
            return Err(err("too many colons"));
        }
    }
    Ok(())
}

/// `./data:/dst` → `/cwd/data:/dst` (only sources starting with `.`, as Docker).
fn absolutize(spec: &str, cwd: &Path) -> String {
    match spec.split_once(':') {
        Some((src, rest)) if src.starts_with('.') => {
            let abs = normalize(&cwd.join(src));
            format!("{abs}:{rest}")
        }
        _ => spec.to_string(),
    }
}

/// Lexical cleaning of an absolute path (Go's `filepath.Clean`).
pub(crate) fn normalize(p: &Path) -> String {
    let text = p.to_string_lossy();
    let mut parts: Vec<&str> = Vec::new();
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

struct RawMount {
    has_source: bool,
}

const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "slave", "rslave", "shared", "rshared",
];

/// Docker's `linuxValidMountMode`: comma-separated, at most one of each kind.
pub(crate) fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0u8; 5];
    for o in mode.split(',') {
        let kind = match o {
            "rw" | "ro" => 0,
            "z" | "Z" => 1,
            o if PROPAGATIONS.contains(&o) => 2,
            "nocopy" => 3,
            "consistent" | "cached" | "delegated" => 4,
            _ => return false,
        };
        counts[kind] += 1;
    }
    counts.iter().all(|c| *c <= 1)
}

fn invalid_spec(raw: &str) -> String {
    format!("invalid volume specification: '{raw}'")
}

/// Docker's daemon-side `ParseMountRaw` for Linux.
fn parse_mount_raw(raw: &str) -> Result<RawMount, String> {
    let arr: Vec<&str> = raw.splitn(4, ':').collect();
    if matches!(arr.first(), None | Some(&"")) {
        return Err(invalid_spec(raw));
    }
    let (source, target, mode) = match arr.as_slice() {
        [t] => ("", *t, ""),
        [s, t] => {
            if valid_mode(t) {
                return Err(invalid_spec(raw));
            }
            (*s, *t, "")
        }
        [s, t, m] => (*s, *t, *m),
        _ => return Err(invalid_spec(raw)),
    };
    if !valid_mode(mode) {
        return Err(format!("invalid mode: {mode}"));
    }
    let kind = if source.starts_with('/') {
        "bind"
    } else {
        "volume"
    };
    let config_err = |why: String| {
        format!(
            "{}: invalid mount config for type \"{kind}\": {why}",
            invalid_spec(raw)
        )
    };
    if target.is_empty() {
        return Err(config_err("field Target must not be empty".into()));
    }
    if normalize(Path::new(&format!("/{target}"))) == "/" && target.starts_with('/') {
        return Err(config_err(
            "invalid specification: destination can't be '/'".into(),
        ));
    }
    if !target.starts_with('/') {
        return Err(config_err(format!(
            "invalid mount path: '{target}' mount path must be absolute"
        )));
    }
    if kind == "volume" && !source.is_empty() {
        validate_volume_name(source)?;
    }
    Ok(RawMount {
        has_source: !source.is_empty(),
    })
}

/// The local volume driver's name rule, `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, and its message.
fn validate_volume_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok =
        name.len() >= 2 && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok {
        return Ok(());
    }
    Err(format!(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    ))
}

/// `--tmpfs /dst[:opts]` → destination → options (options are the mount's, checked when
/// mounting, as in Docker).
pub fn parse_tmpfs(specs: &[String]) -> Result<BTreeMap<String, String>, FlagError> {
    let mut out = BTreeMap::new();
    for t in specs {
        let (dst, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
        if normalize(Path::new(dst)) == "/" && dst.starts_with('/') {
            return Err(FlagError::daemon(
                "invalid specification: destination can't be '/'",
            ));
        }
        if !dst.starts_with('/') {
            return Err(FlagError::daemon(format!(
                "invalid mount path: '{dst}' mount path must be absolute"
            )));
        }
        out.insert(dst.to_string(), opts.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vols(specs: &[&str]) -> Result<Volumes, String> {
        let v: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        parse_volumes(&v, Path::new("/work/dir")).map_err(|e| e.to_string())
    }

    #[test]
    fn binds_and_anonymous() {
        let v = vols(&[
            "/data",
            "/src:/dst",
            "/src:/ro:ro,z",
            "named:/n",
            "./rel:/r:rshared",
            "../up:/u",
            "vol:/nc:nocopy",
        ])
        .unwrap();
        assert_eq!(
            v.binds,
            [
                "/src:/dst",
                "/src:/ro:ro,z",
                "named:/n",
                "/work/dir/rel:/r:rshared",
                "/work/up:/u",
                "vol:/nc:nocopy"
            ]
        );
        assert_eq!(v.anonymous.keys().collect::<Vec<_>>(), ["/data"]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            vols(&["/dst:ro"]).unwrap_err(),
            "Error response from daemon: invalid volume specification: '/dst:ro'"
        );
        assert_eq!(
            vols(&["/a:/b:bogus"]).unwrap_err(),
            "Error response from daemon: invalid mode: bogus"
        );
        assert_eq!(
            vols(&["/a:/b:ro,rw"]).unwrap_err(),
            "Error response from daemon: invalid mode: ro,rw"
        );
        assert_eq!(
            vols(&["/a:rel"]).unwrap_err(),
            "Error response from daemon: invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(
            vols(&["rel"]).unwrap_err(),
            "Error response from daemon: invalid volume specification: 'rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(
            vols(&["/a:/"]).unwrap_err(),
            "Error response from daemon: invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"
        );
        assert_eq!(
            vols(&["/a::/b"]).unwrap_err(),
            "invalid spec: /a::/b: empty section between colons"
        );
        assert_eq!(
            vols(&["/a:/b:ro:x"]).unwrap_err(),
            "invalid spec: /a:/b:ro:x: too many colons"
        );
        assert!(vols(&["bad name:/x"])
            .unwrap_err()
            .contains("includes invalid characters for a local volume name"));
    }

    #[test]
    fn tmpfs() {
        let t = parse_tmpfs(&["/run".into(), "/tmp:rw,size=64m".into()]).unwrap();
        assert_eq!(t["/run"], "");
        assert_eq!(t["/tmp"], "rw,size=64m");
        assert_eq!(
            parse_tmpfs(&["tmp".into()]).unwrap_err().to_string(),
            "Error response from daemon: invalid mount path: 'tmp' mount path must be absolute"
        );
    }
}
