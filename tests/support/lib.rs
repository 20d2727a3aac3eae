//! Test support shared by every end-to-end suite: where the built binaries are, busybox
//! bundles made by `fixtures/busybox-bundle.sh`, and a runtime handle with its own
//! `--root` that deletes what its tests leave.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Directory of the built binaries: `$BERTH_BIN_DIR`, else target/debug.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("BERTH_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug"))
}

pub fn runtime_bin() -> PathBuf {
    let p = bin_dir().join("berth-runtime");
    assert!(
        p.exists(),
        "{} missing: run `cargo build --workspace` first",
        p.display()
    );
    p
}

/// Skips (returns true) when not root: these tests need real namespaces and cgroups.
pub fn not_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return false;
    }
    eprintln!("skipped: needs root");
    true
}

/// A unique name for cgroups, ids and paths of one test.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A busybox bundle in a temporary directory, its config.json editable as JSON.
pub struct Bundle {
    pub dir: tempfile::TempDir,
    pub config: Value,
}

impl Bundle {
    /// A bundle running `args` (no terminal), made by the fixture script.
    pub fn new(args: &[&str]) -> Bundle {
        let dir = tempfile::Builder::new()
            .prefix("berth-bundle-")
            .tempdir()
            .unwrap();
        let status = Command::new(workspace().join("fixtures/busybox-bundle.sh"))
            .arg(dir.path())
            .arg(runtime_bin())
            .arg("--")
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "busybox-bundle.sh failed");
        let config =
            serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap())
                .unwrap();
        let mut b = Bundle { dir, config };
        // A cgroup of its own: the runtime's default (`/berth/<id>`) would be shared by
        // tests running at once with the same container id, one removing it under the
        // other's feet.
        b.cgroup(&unique("bundle"));
        b
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    /// Writes config.json from `self.config`.
    pub fn save(&self) {
        std::fs::write(
            self.path().join("config.json"),
            serde_json::to_vec_pretty(&self.config).unwrap(),
        )
        .unwrap();
    }

    /// Edits the config with a closure and saves it.
    pub fn edit(&mut self, f: impl FnOnce(&mut Value)) -> &mut Self {
        f(&mut self.config);
        self.save();
        self
    }

    /// Gives the container a fixed cgroups path, returned.
    pub fn cgroup(&mut self, name: &str) -> String {
        let p = format!("/berth-test-{name}");
        let pc = p.clone();
        self.edit(|c| c["linux"]["cgroupsPath"] = Value::String(pc));
        p
    }
}

/// A runtime with its own `--root`; deletes every container left on drop.
pub struct Runtime {
    pub root: tempfile::TempDir,
    pub bin: PathBuf,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    pub fn new() -> Runtime {
        Runtime {
            root: tempfile::Builder::new()
                .prefix("berth-root-")
                .tempdir()
                .unwrap(),
            bin: runtime_bin(),
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(self.root.path());
        c
    }

    /// Runs with args; captures output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs with args and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "berth-runtime {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that leaves a container process behind (`create`, `run -d`):
    /// the container inherits stdio, so output goes to files, not pipes we wait on.
    /// Asserts success.
    pub fn start_detached(&self, args: &[&str]) {
        let err = tempfile::NamedTempFile::new().unwrap();
        let status = self
            .cmd()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err.reopen().unwrap())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "berth-runtime {args:?} failed ({status}): {}",
            std::fs::read_to_string(err.path()).unwrap_or_default()
        );
    }

    /// `run` of a bundle in the foreground: (exit code, stdout, stderr).
    pub fn run_bundle(&self, b: &Bundle, id: &str) -> (i32, String, String) {
        let out = self.run(&["run", "--bundle", b.path().to_str().unwrap(), id]);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn state(&self, id: &str) -> Value {
        serde_json::from_str(&self.ok(&["state", id])).unwrap()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Ok(rd) = std::fs::read_dir(self.root.path()) {
            for e in rd.flatten() {
                let id = e.file_name().to_string_lossy().into_owned();
                let _ = self.cmd().args(["delete", "--force", &id]).output();
            }
        }
    }
}

/// Every mount point in this mount namespace.
pub fn mount_points() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_string))
        .collect()
}

/// Whether a cgroup directory for `path` exists in any v1 hierarchy or the unified one.
pub fn cgroup_exists(path: &str) -> bool {
    let rel = path.trim_start_matches('/');
    std::fs::read_dir("/sys/fs/cgroup")
        .map(|rd| rd.flatten().any(|e| e.path().join(rel).exists()))
        .unwrap_or(false)
}
