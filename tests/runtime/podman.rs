//! podman drives berth-runtime as its OCI runtime (`podman --runtime`): import a busybox
//! rootfs as an image into a private storage, run `echo hi` with `--rm`, check the output,
//! then remove everything podman made (image, storage, its `libpod_parent` cgroups).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use e2e::{not_root, runtime_bin, Bundle};

/// podman with a private root, runroot, events file and containers.conf, so it touches
/// nothing of the host's own podman setup and needs no CAP_SYS_RESOURCE for ulimits.
struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Podman {
        let dir = tempfile::Builder::new()
            .prefix("berth-podman-")
            .tempdir()
            .unwrap();
        std::fs::write(
            dir.path().join("containers.conf"),
            "[containers]\ndefault_ulimits = [\"nofile=20000:20000\",\"nproc=32768:32768\"]\n",
        )
        .unwrap();
        Podman { dir }
    }

    fn cmd(&self) -> Command {
        let d = self.dir.path();
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", d.join("containers.conf"))
            .arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("runroot"))
            .args([
                "--storage-driver",
                "vfs",
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "file",
            ])
            .arg("--tmpdir")
            .arg(d.join("tmp"));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).stdin(Stdio::null()).output().unwrap()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.run(&["rmi", "-f", "localhost/berth-busybox"]);
        // vfs storage holds no mounts after a reset; unmount anything left anyway so the
        // temp dir can be removed.
        let _ = self.run(&["system", "reset", "-f"]);
        let root = self.dir.path().to_string_lossy().into_owned();
        let mut mounts: Vec<String> = e2e::mount_points()
            .into_iter()
            .filter(|m| m.starts_with(&root))
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            let _ = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

fn podman_installed() -> bool {
    Command::new("podman")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// podman's cgroupfs manager makes `libpod_parent` (and `libpod_parent/conmon`) in every v1
/// hierarchy and never removes them; remove those this test created (rmdir: only if empty).
fn remove_libpod_parent(existed: &[bool]) {
    for (d, had) in libpod_parents().iter().zip(existed) {
        if !had {
            let _ = std::fs::remove_dir(d.join("conmon"));
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn libpod_parents() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("/sys/fs/cgroup")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path().join("libpod_parent"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn podman_runs_busybox_with_berth_runtime() {
    if not_root() {
        return;
    }
    if !podman_installed() {
        eprintln!("skipped: podman is not installed (apt-get install podman)");
        return;
    }
    let had_parent: Vec<bool> = libpod_parents().iter().map(|p| p.exists()).collect();
    let b = Bundle::new(&["true"]);
    let pm = Podman::new();

    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(b.rootfs())
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let import = pm
        .cmd()
        .args(["import", "-", "localhost/berth-busybox"])
        .stdin(tar.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(tar.wait().unwrap().success());
    assert!(
        import.status.success(),
        "podman import: {}",
        String::from_utf8_lossy(&import.stderr)
    );

    let rt = runtime_bin();
    let out = pm.run(&[
        "--runtime",
        rt.to_str().unwrap(),
        "run",
        "--rm",
        "--network",
        "none",
        "localhost/berth-busybox",
        "echo",
        "hi",
    ]);
    let ps = pm.run(&["ps", "-a", "-q"]);
    drop(pm);
    remove_libpod_parent(&had_parent);
    assert!(
        out.status.success(),
        "podman run with {} failed ({}): {}{}",
        Path::new(&rt).display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    assert_eq!(
        String::from_utf8_lossy(&ps.stdout),
        "",
        "--rm left a container"
    );
}
