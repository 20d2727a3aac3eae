//! Docker's `cp` path rules (go-archive `PrepareArchiveCopy`): given what the source is and
//! what the destination is, which directory receives the copy and what the copied
//! top-level entry is named there.
//!
//! | source | destination | result |
//! |---|---|---|
//! | any | existing directory | into it, under the source's name (`dir/.`: its contents) |
//! | directory | existing file | error `cannot copy directory` |
//! | file | existing file | overwrites it |
//! | any | missing, parent exists | created under the destination's name |
//! | file | missing, ends with `/` | error `no such directory` |

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What is being copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrcInfo {
    pub is_dir: bool,
    /// The name the source has in the archive: its base name, or `.` for `dir/.`.
    pub base: OsString,
}

/// What the destination path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DstInfo {
    /// As the user wrote it (a trailing `/` or `/.` matters).
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
}

/// Where to extract and under which name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub dir: PathBuf,
    pub top: OsString,
}

/// A rule refused the copy (Docker's client-side messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleError {
    CannotCopyDir,
    DirNotExists,
}

/// go-archive's `SplitPathDirEntry`: `/a/b/` → (`/a`, `b`), `/a/.` → (`/a`, `.`).
pub(crate) fn split_dir_entry(path: &str) -> (PathBuf, OsString) {
    let p = Path::new(path);
    let mut cleaned: PathBuf = p.components().collect();
    if cleaned.as_os_str().is_empty() {
        cleaned = PathBuf::from(".");
    }
    if path.ends_with("/.") || path == "." {
        return (cleaned, OsString::from("."));
    }
    let base = cleaned
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| cleaned.as_os_str().to_os_string());
    let dir = cleaned
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cleaned.clone());
    (
        if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        },
        base,
    )
}

/// The path says it is a directory: it ends with `/` or `/.`.
pub(crate) fn asserts_dir(path: &str) -> bool {
    path.ends_with('/') || path.ends_with("/.")
}

/// Docker's decision for copying `src` to `dst`.
pub(crate) fn plan(src: &SrcInfo, dst: &DstInfo) -> Result<Plan, RuleError> {
    let (dst_dir, dst_base) = split_dir_entry(&dst.path);
    if dst.exists && dst.is_dir {
        return Ok(Plan {
            dir: PathBuf::from(&dst.path),
            top: src.base.clone(),
        });
    }
    if dst.exists && src.is_dir {
        return Err(RuleError::CannotCopyDir);
    }
    if !dst.exists && !src.is_dir && asserts_dir(&dst.path) {
        return Err(RuleError::DirNotExists);
    }
    Ok(Plan {
        dir: dst_dir,
        top: dst_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(is_dir: bool, base: &str) -> SrcInfo {
        SrcInfo {
            is_dir,
            base: base.into(),
        }
    }
    fn dst(path: &str, exists: bool, is_dir: bool) -> DstInfo {
        DstInfo {
            path: path.into(),
            exists,
            is_dir,
        }
    }
    fn ok(dir: &str, top: &str) -> Result<Plan, RuleError> {
        Ok(Plan {
            dir: dir.into(),
            top: top.into(),
        })
    }

    #[test]
    fn file_sources() {
        // Missing destination: the file takes its name.
        assert_eq!(
            plan(&src(false, "a"), &dst("/t/new", false, false)),
            ok("/t", "new")
        );
        // Missing and ends with '/': Docker refuses.
        assert_eq!(
            plan(&src(false, "a"), &dst("/t/new/", false, false)),
            Err(RuleError::DirNotExists)
        );
        // Existing file: overwritten under its own name.
        assert_eq!(
            plan(&src(false, "a"), &dst("/t/f", true, false)),
            ok("/t", "f")
        );
        // Existing directory: copied into it under the source's name.
        assert_eq!(
            plan(&src(false, "a"), &dst("/t/d", true, true)),
            ok("/t/d", "a")
        );
        assert_eq!(
            plan(&src(false, "a"), &dst("/t/d/", true, true)),
            ok("/t/d/", "a")
        );
    }

    #[test]
    fn directory_sources() {
        // Missing destination: created with the destination's name, holding the contents.
        assert_eq!(
            plan(&src(true, "d"), &dst("/t/new", false, false)),
            ok("/t", "new")
        );
        assert_eq!(
            plan(&src(true, "d"), &dst("/t/new/", false, false)),
            ok("/t", "new")
        );
        // Existing file: refused.
        assert_eq!(
            plan(&src(true, "d"), &dst("/t/f", true, false)),
            Err(RuleError::CannotCopyDir)
        );
        // Existing directory: the directory goes inside …
        assert_eq!(
            plan(&src(true, "d"), &dst("/t/x", true, true)),
            ok("/t/x", "d")
        );
        // … or, for `d/.`, only its contents.
        assert_eq!(
            plan(&src(true, "."), &dst("/t/x", true, true)),
            ok("/t/x", ".")
        );
        assert_eq!(
            plan(&src(true, "."), &dst("/t/new", false, false)),
            ok("/t", "new")
        );
    }

    #[test]
    fn split_like_go_archive() {
        assert_eq!(split_dir_entry("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(split_dir_entry("/a/."), ("/a".into(), ".".into()));
        assert_eq!(split_dir_entry("b"), (".".into(), "b".into()));
        assert_eq!(split_dir_entry("/"), ("/".into(), "/".into()));
        assert!(asserts_dir("/x/") && asserts_dir("/x/.") && !asserts_dir("/x"));
    }
}
