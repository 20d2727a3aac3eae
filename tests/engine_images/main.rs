//! End-to-end tests of berth's image commands: the real `berth` binary, each test with its
//! own `--root` and (where it pulls) its own docker-registry on a free 127.0.0.1 port, fed
//! with skopeo from OCI layouts built from /bin/busybox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../image/registry.rs"]
#[allow(dead_code)]
mod registry;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use e2e::{bin_dir, not_root};
use registry::{busybox_layout, random_layers_layout, Registry};
use serde_json::Value;

mod archives;
mod local;
mod pull;

/// `berth` with its own state root, removed on drop.
struct Berth {
    root: tempfile::TempDir,
}

impl Berth {
    fn new() -> Berth {
        let bin = bin_dir().join("berth");
        assert!(
            bin.exists(),
            "{} missing: run `cargo build -p cli` first",
            bin.display()
        );
        Berth {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(bin_dir().join("berth"));
        c.arg("--root").arg(self.root.path());
        // Never read or write the host's credentials.
        c.env("DOCKER_CONFIG", self.root.path().join("docker-config"));
        // Nor the host's registry settings (/etc/berth/daemon.json).
        c.env("BERTH_CONFIG", self.root.path().join("daemon.json"));
        c.env_remove("BERTH_ROOT");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "berth {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn inspect(&self, name: &str) -> Value {
        let v: Value = serde_json::from_str(&self.ok(&["image", "inspect", name])).unwrap();
        v[0].clone()
    }
}

fn entries(dir: &Path) -> usize {
    fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// A busybox rootfs tarball (gzip): bin/busybox with sh and echo links.
fn busybox_tarball(dir: &Path) -> PathBuf {
    let rootfs = dir.join("rootfs");
    fs::create_dir_all(rootfs.join("bin")).unwrap();
    fs::create_dir_all(rootfs.join("tmp")).unwrap();
    fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
    for applet in ["sh", "echo", "ls"] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    let tar = dir.join("busybox.tar.gz");
    let st = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-czf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
    tar
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
