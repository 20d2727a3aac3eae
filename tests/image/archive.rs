//! `save`/`load` interoperating with skopeo and podman: archives they write load into
//! berth's store, archives berth writes are accepted by them, digests agree. Each test
//! skips with a message when the tool is missing.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use image::{
    load_archive, load_oci_archive, save_docker_archive, save_oci_archive, ArchiveFormat,
    BlobStore, Reference,
};

use crate::registry::{busybox_layout, BuiltImage};

fn have(bin: &str) -> bool {
    let ok = Path::new(bin).exists() && Path::new("/bin/busybox").exists();
    if !ok {
        eprintln!(
            "skipped: {bin} or /bin/busybox missing (apt-get install skopeo podman busybox-static)"
        );
    }
    ok
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn skopeo(args: &[&str]) -> String {
    run(Command::new("skopeo").args(args))
}

fn r(s: &str) -> Reference {
    Reference::parse(s).unwrap()
}

/// A berth store holding the busybox image of a fresh OCI layout (loaded through an
/// oci-archive skopeo wrote), and what it was built from.
struct Fixture {
    _dir: tempfile::TempDir,
    layout: PathBuf,
    store: BlobStore,
    built: BuiltImage,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    fs::create_dir_all(&layout).unwrap();
    let (mut images, _) = busybox_layout(&layout, "1.0", None);
    let built = images.remove(0);
    let store = BlobStore::open(dir.path().join("store")).unwrap();
    let oci = dir.path().join("in.oci.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:1.0", layout.display()),
        &format!("oci-archive:{}:busybox:latest", oci.display()),
    ]);
    let loaded = load_oci_archive(BufReader::new(File::open(&oci).unwrap()), &store).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].manifest_digest.to_string(), built.manifest.digest);
    assert_eq!(loaded[0].references, vec![r("busybox:latest")]);
    Fixture {
        _dir: dir,
        layout,
        store,
        built,
    }
}

fn diff_ids(config: &serde_json::Value) -> Vec<String> {
    config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn skopeo_docker_archive_loads_and_berth_docker_archive_is_accepted() {
    if !have("/usr/bin/skopeo") {
        return;
    }
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();

    // skopeo → berth.
    let file = tmp.path().join("skopeo.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:1.0", f.layout.display()),
        &format!("docker-archive:{}:busybox:latest", file.display()),
    ]);
    let st = BlobStore::open(tmp.path().join("s1")).unwrap();
    let (fmt, loaded) = load_archive(File::open(&file).unwrap(), &st).unwrap();
    assert_eq!(fmt, ArchiveFormat::DockerArchive);
    assert_eq!(loaded[0].references, vec![r("busybox:latest")]);
    assert_eq!(
        loaded[0].config_digest.as_ref().unwrap().to_string(),
        f.built.config.digest
    );
    let config: serde_json::Value =
        serde_json::from_slice(&st.read(loaded[0].config_digest.as_ref().unwrap()).unwrap())
            .unwrap();
    for d in diff_ids(&config) {
        assert!(
            st.exists(&image::digest::parse(&d).unwrap()).unwrap(),
            "{d}"
        );
    }

    // berth → skopeo.
    let out = tmp.path().join("berth.tar");
    let m = image::digest::parse(&f.built.manifest.digest).unwrap();
    save_docker_archive(
        &f.store,
        &[(vec![r("busybox:latest")], m)],
        File::create(&out).unwrap(),
    )
    .unwrap();
    let inspect: serde_json::Value = serde_json::from_str(&skopeo(&[
        "inspect",
        &format!("docker-archive:{}", out.display()),
    ]))
    .unwrap();
    assert_eq!(inspect["Architecture"], "amd64");
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 1);
    let cfg: serde_json::Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--config",
        &format!("docker-archive:{}", out.display()),
    ]))
    .unwrap();
    assert_eq!(diff_ids(&cfg), diff_ids(&config));
    let dir2 = tmp.path().join("oci2");
    skopeo(&[
        "copy",
        &format!("docker-archive:{}", out.display()),
        &format!("oci:{}:copy", dir2.display()),
    ]);
    // skopeo re-serialises the config when it converts to OCI; the layers it names agree.
    let cfg2: serde_json::Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--config",
        &format!("oci:{}:copy", dir2.display()),
    ]))
    .unwrap();
    assert_eq!(diff_ids(&cfg2), diff_ids(&config));
}

#[test]
fn oci_archives_both_ways_keep_the_manifest_digest() {
    if !have("/usr/bin/skopeo") {
        return;
    }
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("berth.oci.tar");
    let m = image::digest::parse(&f.built.manifest.digest).unwrap();
    save_oci_archive(
        &f.store,
        &[(vec![r("busybox:latest")], m)],
        File::create(&out).unwrap(),
    )
    .unwrap();
    let digest = skopeo(&[
        "inspect",
        "--format",
        "{{.Digest}}",
        &format!("oci-archive:{}", out.display()),
    ]);
    assert_eq!(digest.trim(), f.built.manifest.digest);
    let dir3 = tmp.path().join("oci3");
    skopeo(&[
        "copy",
        &format!(
            "oci-archive:{}:docker.io/library/busybox:latest",
            out.display()
        ),
        &format!("oci:{}:t", dir3.display()),
    ]);
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir3.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"][0]["digest"],
        f.built.manifest.digest.as_str()
    );
    // And berth's archive loads back into a fresh store, auto-detected.
    let st = BlobStore::open(tmp.path().join("s")).unwrap();
    let (fmt, l) = load_archive(File::open(&out).unwrap(), &st).unwrap();
    assert_eq!(fmt, ArchiveFormat::OciLayout);
    assert_eq!(l[0].manifest_digest.to_string(), f.built.manifest.digest);
    assert_eq!(st.list().unwrap(), f.store.list().unwrap());
}

/// podman with everything private: storage, run and tmp dirs, config, no events;
/// `system reset` with the same flags on drop, then the temp dir goes.
struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Option<Podman> {
        if !have("/usr/bin/podman") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("containers.conf"),
            "[containers]\ndefault_ulimits = [\"nofile=20000:20000\",\"nproc=32768:32768\"]\n",
        )
        .unwrap();
        Some(Podman { dir })
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", self.dir.path().join("containers.conf"))
            .arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("runroot"))
            .arg("--tmpdir")
            .arg(self.dir.path().join("tmp"))
            .args(["--storage-driver", "vfs", "--events-backend", "none"]);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        run(self.cmd().args(args))
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.cmd().args(["system", "reset", "-f"]).output();
    }
}

#[test]
fn podman_loads_berth_archives_and_berth_loads_podman_saves() {
    if !have("/usr/bin/skopeo") {
        return;
    }
    let Some(p) = Podman::new() else { return };
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let m = image::digest::parse(&f.built.manifest.digest).unwrap();
    let image_id = f.built.config.digest.strip_prefix("sha256:").unwrap();

    // berth docker-archive → podman load.
    let da = tmp.path().join("berth.tar");
    save_docker_archive(
        &f.store,
        &[(vec![r("busybox:latest")], m.clone())],
        File::create(&da).unwrap(),
    )
    .unwrap();
    let out = p.run(&["load", "-i", da.to_str().unwrap()]);
    assert!(out.contains("busybox:latest"), "{out}");
    let id = p.run(&["image", "inspect", "--format", "{{.Id}}", "busybox:latest"]);
    assert_eq!(id.trim(), image_id);

    // berth oci-archive → podman load (a second name for the same image).
    let oa = tmp.path().join("berth.oci.tar");
    save_oci_archive(
        &f.store,
        &[(vec![r("example.com/bb:2")], m)],
        File::create(&oa).unwrap(),
    )
    .unwrap();
    let out = p.run(&["load", "-i", oa.to_str().unwrap()]);
    assert!(out.contains("example.com/bb:2"), "{out}");

    // podman save (both formats) → berth load: same image ID.
    for (format, name) in [("docker-archive", "p.tar"), ("oci-archive", "p.oci.tar")] {
        let file = tmp.path().join(name);
        p.run(&[
            "save",
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
            "busybox:latest",
        ]);
        let st = BlobStore::open(tmp.path().join(format)).unwrap();
        let (_, l) = load_archive(File::open(&file).unwrap(), &st).unwrap();
        assert_eq!(l.len(), 1, "{format}");
        assert_eq!(
            l[0].config_digest.as_ref().unwrap().to_string(),
            f.built.config.digest,
            "{format}"
        );
        assert_eq!(l[0].references, vec![r("busybox:latest")], "{format}");
    }
}

#[test]
fn tampered_and_truncated_skopeo_archives_leave_the_store_unchanged() {
    if !have("/usr/bin/skopeo") {
        return;
    }
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("skopeo.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:1.0", f.layout.display()),
        &format!("docker-archive:{}:busybox:latest", file.display()),
    ]);
    let good = fs::read(&file).unwrap();
    let before = f.store.list().unwrap();
    // The store already holds the image's config and compressed layer; loads that fail
    // must not remove those, nor leave anything new.
    let truncated = &good[..good.len() - 3000];
    let e = load_archive(truncated, &f.store).unwrap_err();
    assert!(
        matches!(
            e,
            image::ArchiveError::Read { .. } | image::ArchiveError::MissingEntry { .. }
        ),
        "{e}"
    );
    assert_eq!(f.store.list().unwrap(), before);
    // Flip a byte inside busybox's data: the layer no longer matches its diff ID.
    let mut bad = good.clone();
    let at = good.len() / 2;
    bad[at] ^= 0xff;
    let e = load_archive(bad.as_slice(), &f.store).unwrap_err();
    assert!(
        matches!(e, image::ArchiveError::DiffIdMismatch { .. }),
        "{e}"
    );
    assert_eq!(f.store.list().unwrap(), before);
    assert!(fs::read_dir(f.store.root().join("ingest"))
        .unwrap()
        .next()
        .is_none());
    // The good archive loads.
    load_archive(good.as_slice(), &f.store).unwrap();
}
