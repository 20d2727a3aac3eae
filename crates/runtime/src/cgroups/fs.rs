//! Reading and writing cgroupfs files. Every write names the path and the data; a missing
//! file becomes `MissingFile` (the kernel lacks the feature), never a bare ENOENT.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::Path;

use super::error::CgroupError;

/// Write `data` to `dir/file` (no create: cgroupfs files exist or the feature is absent).
pub(crate) fn write(dir: &Path, file: &str, data: &str) -> Result<(), CgroupError> {
    write_hint(dir, file, data, "")
}

/// Like [`write`], with a hint appended to the error message when the write fails.
pub(crate) fn write_hint(
    dir: &Path,
    file: &str,
    data: &str,
    hint: &'static str,
) -> Result<(), CgroupError> {
    let path = dir.join(file);
    let mut f = match OpenOptions::new().write(true).truncate(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(CgroupError::MissingFile {
                what: file.to_string(),
                path,
                data: data.to_string(),
            })
        }
        Err(source) => {
            return Err(CgroupError::Write {
                path,
                data: data.to_string(),
                source,
                hint,
            })
        }
    };
    f.write_all(data.as_bytes())
        .map_err(|source| CgroupError::Write {
            path: path.clone(),
            data: data.to_string(),
            source,
            hint,
        })?;
    tracing::debug!(path = %path.display(), data, "cgroup write");
    Ok(())
}

pub(crate) fn exists(dir: &Path, file: &str) -> bool {
    dir.join(file).exists()
}

pub(crate) fn read(dir: &Path, file: &str) -> Result<String, CgroupError> {
    let path = dir.join(file);
    std::fs::read_to_string(&path).map_err(|e| CgroupError::read(path, e))
}

/// Read a file holding one number; "max" reads as `u64::MAX`.
pub(crate) fn read_u64(dir: &Path, file: &str) -> Result<u64, CgroupError> {
    let s = read(dir, file)?;
    parse_u64(dir, file, s.trim())
}

/// Like [`read_u64`] but a missing file reads as 0 (statistics the kernel does not keep).
pub(crate) fn read_u64_opt(dir: &Path, file: &str) -> Result<u64, CgroupError> {
    if !exists(dir, file) {
        return Ok(0);
    }
    read_u64(dir, file)
}

pub(crate) fn parse_u64(dir: &Path, file: &str, s: &str) -> Result<u64, CgroupError> {
    if s == "max" {
        return Ok(u64::MAX);
    }
    s.parse::<u64>().map_err(|_| CgroupError::Parse {
        path: dir.join(file),
        value: s.to_string(),
    })
}

/// Parse a flat keyed file ("key value" per line), e.g. memory.stat or cpu.stat.
pub(crate) fn read_flat_keyed(dir: &Path, file: &str) -> Result<Vec<(String, u64)>, CgroupError> {
    let s = read(dir, file)?;
    let mut out = Vec::new();
    for line in s.lines() {
        let mut it = line.split_whitespace();
        if let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k.to_string(), parse_u64(dir, file, v)?));
        }
    }
    Ok(out)
}

/// Read `cgroup.procs` of one directory.
pub(crate) fn read_procs(dir: &Path) -> Result<Vec<i32>, CgroupError> {
    let s = read(dir, "cgroup.procs")?;
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim().parse::<i32>().map_err(|_| CgroupError::Parse {
                path: dir.join("cgroup.procs"),
                value: l.to_string(),
            })
        })
        .collect()
}
