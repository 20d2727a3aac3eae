//! Where berth keeps its state (DESIGN.md §4).

use std::path::{Path, PathBuf};

/// The default state root.
pub const DEFAULT_ROOT: &str = "/var/lib/berth";
/// The environment variable that moves it (the `--root` flag wins over it).
pub const ROOT_ENV: &str = "BERTH_ROOT";

/// The state root and the paths under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Root { dir: dir.into() }
    }

    /// `--root` if given, else `$BERTH_ROOT`, else `/var/lib/berth`.
    pub fn from_flag_or_env(flag: Option<PathBuf>) -> Self {
        let dir = flag
            .or_else(|| std::env::var_os(ROOT_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT));
        Root { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// `<root>/berth.db`
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("berth.db")
    }
    /// `<root>/layers`: one unpacked directory per chain id.
    pub fn layers_dir(&self) -> PathBuf {
        self.dir.join("layers")
    }
    /// `<root>/tmp`: imports spooled before they are hashed.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }
}
