//! Where berth keeps its state (DESIGN.md §4).

use std::path::{Path, PathBuf};

/// The default state root.
pub const DEFAULT_ROOT: &str = "/var/lib/berth";
/// The environment variable that moves it (the `--root` flag wins over it).
pub const ROOT_ENV: &str = "BERTH_ROOT";
/// The default runtime-state root (a tmpfs: gone at reboot, rebuilt from the database).
pub const DEFAULT_RUN_ROOT: &str = "/run/berth";
/// The environment variable that moves it (`--run-root` wins over it).
pub const RUN_ROOT_ENV: &str = "BERTH_RUN_ROOT";

/// The state root and the paths under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    dir: PathBuf,
    run: PathBuf,
}

impl Root {
    /// A root at `dir` whose runtime state lives in `dir/run`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Root {
            run: dir.join("run"),
            dir,
        }
    }

    /// `--root` if given, else `$BERTH_ROOT`, else `/var/lib/berth`; the run root from
    /// [`Root::with_run_root`] or `$BERTH_RUN_ROOT`, else `/run/berth` for the default root
    /// and `<root>/run` for any other (so two roots never share runtime state).
    pub fn from_flag_or_env(flag: Option<PathBuf>) -> Self {
        let dir = flag.or_else(|| std::env::var_os(ROOT_ENV).map(PathBuf::from));
        let run = std::env::var_os(RUN_ROOT_ENV).map(PathBuf::from);
        match dir {
            None => Root {
                dir: PathBuf::from(DEFAULT_ROOT),
                run: run.unwrap_or_else(|| PathBuf::from(DEFAULT_RUN_ROOT)),
            },
            Some(dir) => Root {
                run: run.unwrap_or_else(|| dir.join("run")),
                dir,
            },
        }
    }

    /// Moves the runtime state (`--run-root`).
    pub fn with_run_root(mut self, run: Option<PathBuf>) -> Self {
        if let Some(r) = run {
            self.run = r;
        }
        self
    }

    /// The runtime-state root.
    pub fn run_dir(&self) -> &Path {
        &self.run
    }
    /// `<run>/runtime`: the OCI runtime's state (one directory per running container).
    pub fn runtime_dir(&self) -> PathBuf {
        self.run.join("runtime")
    }
    /// `<run>/c/<id>`: the monitor's files (config, state, attach socket).
    pub fn monitor_dir(&self, id: &str) -> PathBuf {
        self.run.join("c").join(id)
    }
    /// `<root>/containers/<id>`: the bundle (config.json, rootfs), logs, /etc files.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.dir.join("containers").join(id)
    }
    /// `<root>/snapshots`: the snapshotter's tree (overlay or vfs).
    pub fn snapshots_dir(&self) -> PathBuf {
        self.dir.join("snapshots")
    }
    /// `<root>/volumes`: one `<name>/_data` per volume.
    pub fn volumes_dir(&self) -> PathBuf {
        self.dir.join("volumes")
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
