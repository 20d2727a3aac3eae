//! End-to-end tests of the storage crate through its public API only, as root with real
//! overlay mounts: a pulled-like gzip layer unpacked, a container snapshot mounted and
//! changed, its diff committed as a zstd layer and mounted again; a hostile layer refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::not_root;
use storage::diff::{snapshot_changes, snapshot_layer};
use storage::snapshot::{detect, Mount};
use storage::{unpack_layer, Compression, StorageError, UnpackOptions};

/// Unmounts (lazily) on drop, so a failing assertion leaks no mount.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

/// What `runtime::rootfs` will do with a `Mount`, done with mount(8) in a child process so
/// `Mount::cwd` is honoured without changing this process's working directory.
fn mount(m: &Mount, target: &Path) -> Mounted {
    std::fs::create_dir_all(target).unwrap();
    let mut cmd = Command::new("mount");
    if m.fs_type == "bind" {
        cmd.arg("--rbind");
        if m.flag_options().any(|o| o == "ro") {
            cmd.args(["-o", "ro"]);
        }
    } else {
        cmd.args(["-t", &m.fs_type, "-o", &m.options.join(",")]);
    }
    cmd.arg(&m.source).arg(target);
    if let Some(cwd) = &m.cwd {
        cmd.current_dir(cwd);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "mount {m:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Mounted(target.to_path_buf())
}

fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h
}

fn gzip_layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (name, data) in files {
        let kind = if name.ends_with('/') {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        };
        let mut h = header(kind, data.len() as u64);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

fn opts() -> UnpackOptions {
    UnpackOptions {
        layer: "sha256:e2e".into(),
        ..Default::default()
    }
}

#[test]
fn pull_run_commit_cycle_on_overlay() {
    if not_root() {
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("berth-storage-")
        .tempdir()
        .unwrap();
    let layers = tmp.path().join("layers");
    std::fs::create_dir(&layers).unwrap();

    let base = layers.join("base");
    let stats = unpack_layer(
        &gzip_layer(&[
            ("etc/", b""),
            ("etc/os-release", b"ID=berth"),
            ("etc/motd", b"hi"),
            ("usr/lib/x", b"x"),
        ])[..],
        &base,
        &opts(),
    )
    .unwrap();
    assert_eq!(stats.compression, Compression::Gzip);
    let top = layers.join("top");
    unpack_layer(
        &gzip_layer(&[
            ("etc/.wh.motd", b""),
            ("usr/lib/.wh..wh..opq", b""),
            ("usr/lib/y", b"y"),
        ])[..],
        &top,
        &opts(),
    )
    .unwrap();

    let sn = detect(&tmp.path().join("snapshots")).unwrap();
    assert_eq!(sn.name(), "overlay", "overlay works on this host");
    let parents = vec![base.clone(), top.clone()];
    let mounts = sn.prepare("ctr1", &parents).unwrap();
    let rootfs = tmp.path().join("rootfs");
    {
        let _m = mount(&mounts[0], &rootfs);
        assert_eq!(
            std::fs::read(rootfs.join("etc/os-release")).unwrap(),
            b"ID=berth"
        );
        assert!(!rootfs.join("etc/motd").exists(), "whiteout hides motd");
        assert!(
            !rootfs.join("usr/lib/x").exists() && rootfs.join("usr/lib/y").exists(),
            "opaque dir"
        );
        std::fs::write(rootfs.join("etc/os-release"), b"ID=changed").unwrap();
        std::fs::remove_file(rootfs.join("usr/lib/y")).unwrap();
        std::fs::write(rootfs.join("new"), b"new").unwrap();
    }
    let changes: Vec<String> = snapshot_changes(sn.as_ref(), "ctr1")
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        changes,
        [
            "C /etc",
            "C /etc/os-release",
            "A /new",
            "C /usr",
            "C /usr/lib",
            "D /usr/lib/y"
        ]
    );

    // Commit: the diff, zstd-compressed, becomes a third layer.
    let mut z = zstd::Encoder::new(Vec::new(), 3).unwrap();
    snapshot_layer(sn.as_ref(), "ctr1", &mut z).unwrap();
    let committed = z.finish().unwrap();
    let l3 = layers.join("committed");
    assert_eq!(
        unpack_layer(&committed[..], &l3, &opts())
            .unwrap()
            .compression,
        Compression::Zstd
    );
    let view = sn.view("img", &[base, top, l3]).unwrap();
    let check = tmp.path().join("check");
    {
        let _m = mount(&view[0], &check);
        assert_eq!(
            std::fs::read(check.join("etc/os-release")).unwrap(),
            b"ID=changed"
        );
        assert_eq!(std::fs::read(check.join("new")).unwrap(), b"new");
        assert!(!check.join("usr/lib/y").exists() && !check.join("usr/lib/x").exists());
        assert!(
            std::fs::write(check.join("ro"), b"").is_err(),
            "views are read-only"
        );
    }
    sn.remove("img").unwrap();
    sn.remove("ctr1").unwrap();
}

#[test]
fn hostile_gzip_layer_is_refused_and_leaves_nothing() {
    let tmp = tempfile::Builder::new()
        .prefix("berth-storage-")
        .tempdir()
        .unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    // A symlink to the outside, then a file through it.
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    let mut h = header(tar::EntryType::Symlink, 0);
    b.append_link(&mut h, "escape", &outside).unwrap();
    let mut h = header(tar::EntryType::Regular, 5);
    b.append_data(&mut h, "escape/pwned", &b"pwned"[..])
        .unwrap();
    let mut gz = b.into_inner().unwrap();
    gz.flush().unwrap();
    let data = gz.finish().unwrap();

    let dest = tmp.path().join("layer");
    let err = unpack_layer(&data[..], &dest, &opts()).unwrap_err();
    assert!(matches!(err, StorageError::ThroughSymlink { .. }), "{err}");
    assert!(
        err.to_string().contains("sha256:e2e") && err.to_string().contains("escape/pwned"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert!(!dest.exists());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["outside"], "no unfinished layer left");
}
