//! save and load, with skopeo and podman on the other side.

use super::*;

#[test]
fn save_and_load_docker_archives_with_skopeo() {
    if not_root() || !Path::new("/usr/bin/skopeo").exists() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let a = Berth::new();
    let id = a.ok(&[
        "import",
        "-c",
        "CMD [\"/bin/sh\"]",
        tar.to_str().unwrap(),
        "busybox",
    ]);
    let id = id.trim();
    let archive = work.path().join("saved.tar");
    a.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);

    // skopeo reads it: same config digest.
    let out = Command::new("skopeo")
        .arg("inspect")
        .arg("--config")
        .arg(format!("docker-archive:{}", archive.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let cfg: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cfg["config"]["Cmd"], serde_json::json!(["/bin/sh"]));

    // berth loads it into another root: same id and name, from a file and from stdin.
    let b = Berth::new();
    assert_eq!(
        b.ok(&["load", "-i", archive.to_str().unwrap()]),
        "Loaded image: busybox:latest\n"
    );
    assert_eq!(b.inspect("busybox")["Id"], id);
    let c = Berth::new();
    let out = c.run_stdin(&["image", "load"], &fs::read(&archive).unwrap());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(c.inspect("busybox")["Id"], id);

    // An archive skopeo wrote (gzip layer inside) loads too.
    let layout = work.path().join("layout");
    let (built, _) = busybox_layout(&layout, "t", None);
    let from_skopeo = work.path().join("skopeo.tar");
    let out = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci:{}:t", layout.display()))
        .arg(format!("docker-archive:{}:sk/box:1", from_skopeo.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        c.ok(&["load", "-i", from_skopeo.to_str().unwrap()]),
        "Loaded image: sk/box:1\n"
    );
    assert_eq!(c.inspect("sk/box:1")["Id"], built[0].config.digest);
    let layer = c.path("layers").join(
        &c.inspect("sk/box:1")["RootFS"]["Layers"][0]
            .as_str()
            .unwrap()[7..],
    );
    assert!(layer.join("bin/busybox").is_file());

    // Not an archive: a clear error, nothing stored.
    let d = Berth::new();
    let out = d.run_stdin(&["load"], b"not a tar at all");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("Error response from daemon: load:"),
        "{}",
        stderr(&out)
    );
    assert_eq!(d.ok(&["images", "-q"]), "");
}

#[test]
fn podman_loads_what_berth_saves_and_back() {
    if not_root() || !Path::new("/usr/bin/podman").exists() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let a = Berth::new();
    let id = a.ok(&["import", tar.to_str().unwrap(), "busybox"]);
    let id = id.trim();
    let saved = work.path().join("berth.tar");
    a.ok(&["save", "-o", saved.to_str().unwrap(), "busybox"]);

    // podman with its own storage (vfs: no mounts left behind) in the test's temp dir.
    let podman = |args: &[&str]| {
        let out = Command::new("podman")
            .arg("--root")
            .arg(work.path().join("podman-root"))
            .arg("--runroot")
            .arg(work.path().join("podman-run"))
            .args(["--storage-driver", "vfs"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "podman {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    podman(&["load", "-i", saved.to_str().unwrap()]);
    let pid = podman(&["image", "inspect", "--format", "{{.Id}}", "busybox"]);
    assert_eq!(pid.trim(), &id[7..]);
    let back = work.path().join("podman.tar");
    podman(&["save", "-o", back.to_str().unwrap(), "busybox"]);
    let b = Berth::new();
    // berth's archive names the image in full (docker.io/library/busybox), so podman
    // keeps Docker's name instead of making it localhost/busybox.
    assert_eq!(
        b.ok(&["load", "-i", back.to_str().unwrap()]),
        "Loaded image: busybox:latest\n"
    );
    assert_eq!(b.inspect("busybox")["Id"], id);
}
