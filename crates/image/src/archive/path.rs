//! Archive entry paths: normalised, never absolute, never escaping with `..`; links
//! resolved inside the archive only.

use std::collections::HashMap;

use super::error::{ArchiveError, Result};

/// `./a//b/` → `a/b`. Absolute paths and `..` components are refused, naming the entry.
pub(super) fn normalize(raw: &str) -> Result<String> {
    if raw.starts_with('/') {
        return Err(ArchiveError::UnsafePath {
            entry: raw.to_string(),
        });
    }
    let mut parts = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(ArchiveError::UnsafePath {
                    entry: raw.to_string(),
                })
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Where a symlink at `entry` pointing at `target` leads, as an archive path.
pub(super) fn symlink_target(entry: &str, target: &str) -> Result<String> {
    let unsafe_link = || ArchiveError::UnsafeLink {
        entry: entry.to_string(),
        target: target.to_string(),
    };
    if target.starts_with('/') {
        return Err(unsafe_link());
    }
    let mut parts: Vec<&str> = entry.split('/').collect();
    parts.pop();
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(unsafe_link());
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Follow links (at most 16 hops) from `path` to the entry it finally names.
pub(super) fn resolve<'a>(links: &'a HashMap<String, String>, path: &'a str) -> Result<&'a str> {
    let mut p = path;
    for _ in 0..16 {
        match links.get(p) {
            Some(next) => p = next,
            None => return Ok(p),
        }
    }
    Err(ArchiveError::Invalid {
        entry: path.to_string(),
        reason: "too many levels of links".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_and_refuse() {
        assert_eq!(normalize("./a//b/").unwrap(), "a/b");
        assert_eq!(normalize("manifest.json").unwrap(), "manifest.json");
        assert!(matches!(
            normalize("../etc/passwd"),
            Err(ArchiveError::UnsafePath { .. })
        ));
        assert!(normalize("a/../../b").is_err());
        assert!(normalize("/etc/passwd").is_err());
        assert_eq!(
            symlink_target("abc/layer.tar", "../blobs/sha256/x").unwrap(),
            "blobs/sha256/x"
        );
        assert!(symlink_target("abc/layer.tar", "../../x").is_err());
        assert!(symlink_target("abc/layer.tar", "/x").is_err());
        let mut links = HashMap::new();
        links.insert("a".to_string(), "b".to_string());
        links.insert("b".to_string(), "a".to_string());
        assert!(resolve(&links, "a").is_err());
        assert_eq!(resolve(&links, "c").unwrap(), "c");
    }
}
