//! The runtime's error type: every variant names the object it failed on.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{path}: {msg}")]
    InvalidConfig { path: PathBuf, msg: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("invalid container id {0:?}: use letters, digits, '_', '-', '.' and '+' (at most 1024 characters)")]
    InvalidId(String),
    #[error("container with id {0} already exists")]
    AlreadyExists(String),
    #[error("container {0} does not exist")]
    NotFound(String),
    #[error("container {id} is {status}: {what}")]
    WrongState {
        id: String,
        status: String,
        what: String,
    },
    #[error("{step}: {source}")]
    Sys {
        step: String,
        #[source]
        source: io::Error,
    },
    #[error("container init failed: {0}")]
    Init(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("hook {path} ({kind}): {msg}")]
    Hook {
        kind: String,
        path: PathBuf,
        msg: String,
    },
    #[error(transparent)]
    Cgroup(#[from] crate::cgroups::CgroupError),
    #[error(transparent)]
    Seccomp(#[from] crate::security::SeccompError),
    #[error(transparent)]
    Caps(#[from] crate::security::CapsError),
    #[error(transparent)]
    Rlimit(#[from] crate::security::RlimitError),
    #[error(transparent)]
    Lsm(#[from] crate::security::LsmError),
    #[error(transparent)]
    Nnp(#[from] crate::security::NnpError),
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

impl RuntimeError {
    /// An OS error at a named step, e.g. `sys("mount proc on /proc", err)`.
    pub fn sys(step: impl Into<String>, source: impl Into<io::Error>) -> Self {
        RuntimeError::Sys {
            step: step.into(),
            source: source.into(),
        }
    }
}

/// Adds the step to an OS error: `mount(...).ctx(|| format!("mount {dst}"))?`.
pub trait SysContext<T> {
    fn ctx<S: Into<String>>(self, step: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<io::Error>> SysContext<T> for std::result::Result<T, E> {
    fn ctx<S: Into<String>>(self, step: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| RuntimeError::sys(step(), e))
    }
}
