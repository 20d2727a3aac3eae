//! `--device /dev/x[:/dev/y][:rwm]` (Docker's `validateLinuxPath` then `parseLinuxDevice`).

use engine::containers::config::DeviceMapping;

use super::error::FlagError;

fn valid_mode(mode: &str) -> bool {
    !mode.is_empty()
        && mode.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
        && ['r', 'w', 'm']
            .iter()
            .all(|c| mode.matches(*c).count() <= 1)
}

/// Go's `path.Clean` for the container side.
fn clean(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Parses one `--device`.
pub fn parse_device(val: &str) -> Result<DeviceMapping, FlagError> {
    let bad = || FlagError::invalid(format!("bad format for path: {val}"));
    if val.matches(':').count() > 2 {
        return Err(bad());
    }
    let split: Vec<&str> = val.splitn(3, ':').collect();
    let (src, dst, mode) = match split.as_slice() {
        ["", ..] => return Err(bad()),
        [src] => (clean(src), clean(src), "rwm".to_string()),
        [src, x] if valid_mode(x) => (clean(src), clean(src), x.to_string()),
        [src, dst] => (src.to_string(), clean(dst), "rwm".to_string()),
        [src, dst, mode] => {
            if !valid_mode(mode) {
                return Err(FlagError::invalid(format!("bad mode specified: {mode}")));
            }
            (src.to_string(), dst.to_string(), mode.to_string())
        }
        _ => return Err(bad()),
    };
    if !dst.starts_with('/') {
        return Err(FlagError::invalid(format!("{dst} is not an absolute path")));
    }
    Ok(DeviceMapping {
        path_on_host: src,
        path_in_container: dst,
        cgroup_permissions: mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(v: &str) -> Result<(String, String, String), String> {
        parse_device(v)
            .map(|d| (d.path_on_host, d.path_in_container, d.cgroup_permissions))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn forms() {
        let t = |a: &str, b: &str, c: &str| Ok((a.to_string(), b.to_string(), c.to_string()));
        assert_eq!(dev("/dev/fuse"), t("/dev/fuse", "/dev/fuse", "rwm"));
        assert_eq!(dev("/dev/sda:/dev/xvda"), t("/dev/sda", "/dev/xvda", "rwm"));
        assert_eq!(dev("/dev/sda:r"), t("/dev/sda", "/dev/sda", "r"));
        assert_eq!(
            dev("/dev/sda:/dev/xvda:rw"),
            t("/dev/sda", "/dev/xvda", "rw")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(dev(":/x").unwrap_err(), "bad format for path: :/x");
        assert_eq!(
            dev("/a:/b:c:d").unwrap_err(),
            "bad format for path: /a:/b:c:d"
        );
        assert_eq!(dev("/a:/b:x").unwrap_err(), "bad mode specified: x");
        assert_eq!(dev("/a:rel").unwrap_err(), "rel is not an absolute path");
    }
}
