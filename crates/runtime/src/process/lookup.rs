//! Finding the program to run inside the container, as execvp would, so a missing
//! or non-executable program is reported before the container is declared created.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Why the program cannot be run; mapped to exit codes 127 and 126 by front ends.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("exec: {0:?}: executable file not found in $PATH")]
    NotFound(String),
    #[error("exec: {0:?}: permission denied")]
    NotExecutable(String),
    #[error("exec: {0:?}: is a directory")]
    IsDirectory(String),
}

fn check(p: &Path, name: &str) -> Result<(), LookupError> {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Err(LookupError::IsDirectory(name.to_string())),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => {
            Err(LookupError::NotExecutable(name.to_string()))
        }
        Ok(_) => Ok(()),
        Err(_) => Err(LookupError::NotFound(name.to_string())),
    }
}

/// Resolves `arg0` against `PATH` from `env` (the container's), relative to the
/// current root and working directory.
pub fn find_program(arg0: &str, env: &[String]) -> Result<PathBuf, LookupError> {
    if arg0.contains('/') {
        let p = PathBuf::from(arg0);
        check(&p, arg0)?;
        return Ok(p);
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let mut denied = false;
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(arg0);
        match check(&candidate, arg0) {
            Ok(()) => return Ok(candidate),
            Err(LookupError::NotExecutable(_)) => denied = true,
            Err(_) => {}
        }
    }
    if denied {
        Err(LookupError::NotExecutable(arg0.to_string()))
    } else {
        Err(LookupError::NotFound(arg0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_and_reports_missing() {
        let env = vec!["PATH=/usr/bin:/bin".to_string()];
        assert!(find_program("sh", &env).is_ok());
        assert!(matches!(
            find_program("no-such-prog-xyz", &env),
            Err(LookupError::NotFound(_))
        ));
        assert!(matches!(
            find_program("/etc/passwd", &env),
            Err(LookupError::NotExecutable(_))
        ));
    }
}
