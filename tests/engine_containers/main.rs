//! End-to-end tests of berth's containers: the real `berth` binary (with `berth-monitor`
//! and `berth-runtime` beside it) as root, each test with its own `--root`, a busybox
//! image imported from Debian's busybox-static. Everything a test starts is removed by
//! the fixture's drop (`rm -f` of every container, then the root).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use e2e::{bin_dir, not_root, workspace};

mod basics;
mod consistency;
mod filesystem;
mod lifecycle;
mod network;
mod network_dns;
mod observe;
mod terminal;
mod volumes;

/// `berth` with its own state root; removes its containers and the root on drop.
pub struct Berth {
    root: tempfile::TempDir,
}

impl Default for Berth {
    fn default() -> Berth {
        Berth::new()
    }
}

impl Berth {
    /// A root with the `busybox` image in it.
    pub fn new() -> Berth {
        for b in ["berth", "berth-monitor", "berth-runtime"] {
            assert!(
                bin_dir().join(b).exists(),
                "{b} missing: run `cargo build --workspace` first"
            );
        }
        let b = Berth {
            root: tempfile::Builder::new()
                .prefix("berth-ct-")
                .tempdir()
                .unwrap(),
        };
        // No default bridge (Docker's `"bridge": "none"`): a test that wants one writes
        // its own daemon.json with its own device and subnet (see network.rs), so no
        // test makes the host's `berth0`.
        std::fs::write(b.root.path().join("daemon.json"), r#"{"bridge": "none"}"#).unwrap();
        let out = Command::new(workspace().join("fixtures/busybox-image.sh"))
            .arg(bin_dir().join("berth"))
            .arg("--root")
            .arg(b.root.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "busybox-image.sh: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        b
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin_dir().join("berth"));
        c.arg("--root").arg(self.root.path());
        c.env_remove("BERTH_ROOT").env_remove("BERTH_RUN_ROOT");
        c.env("BERTH_CONFIG", self.root.path().join("daemon.json"));
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "berth {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `inspect -f TEMPLATE NAME`, trimmed.
    pub fn inspect(&self, name: &str, tpl: &str) -> String {
        self.ok(&["inspect", "-f", tpl, name]).trim().to_string()
    }

    /// Polls until `f` holds (at most `secs`).
    pub fn until(&self, secs: u64, what: &str, mut f: impl FnMut(&Berth) -> bool) {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}");
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.root.path().join("containers")
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        let ids = self.run(&["ps", "-aq", "--no-trunc"]);
        for id in String::from_utf8_lossy(&ids.stdout).lines() {
            let _ = self.run(&["rm", "-f", id]);
        }
    }
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Skips (passes) when not root, as the other e2e suites do.
pub fn skip() -> bool {
    not_root()
}
