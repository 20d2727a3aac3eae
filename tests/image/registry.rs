//! A private `docker-registry` on 127.0.0.1 (fresh storage dir, free port, stopped by PID
//! when dropped) and busybox images made by hand as OCI layouts, pushed with skopeo.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use image::digest::sha256_of;

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A running registry; killed and its storage removed on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Registry {
    /// Start one, or `None` (with a message) when docker-registry or skopeo is missing.
    pub fn start() -> Option<Registry> {
        Self::start_with(None)
    }

    /// With htpasswd (Basic) auth for one user.
    pub fn start_with_user(user: &str, password: &str) -> Option<Registry> {
        if !Path::new("/usr/bin/htpasswd").exists() {
            eprintln!("skipped: /usr/bin/htpasswd missing (apt-get install apache2-utils)");
            return None;
        }
        Self::start_with(Some((user, password)))
    }

    fn start_with(user: Option<(&str, &str)>) -> Option<Registry> {
        for bin in [REGISTRY_BIN, "/usr/bin/skopeo", "/bin/busybox"] {
            if !Path::new(bin).exists() {
                eprintln!("skipped: {bin} missing (apt-get install docker-registry skopeo busybox-static)");
                return None;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        let config = dir.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            data.display()
        );
        if let Some((u, p)) = user {
            let file = dir.path().join("htpasswd");
            let st = Command::new("htpasswd")
                .args(["-Bbc"])
                .arg(&file)
                .args([u, p])
                .output()
                .unwrap();
            assert!(
                st.status.success(),
                "htpasswd: {}",
                String::from_utf8_lossy(&st.stderr)
            );
            text.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n",
                file.display()
            ));
        }
        fs::write(&config, text).unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("registry.log")).unwrap())
            .spawn()
            .unwrap();
        let reg = Registry { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(reg)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's own file for a blob (to tamper with it).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir.path().join(format!(
            "data/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    /// Push an OCI layout's tag with skopeo, keeping digests.
    pub fn skopeo_push(&self, layout: &Path, tag: &str, repo_tag: &str, all: bool) {
        self.skopeo_push_as(layout, tag, repo_tag, all, None)
    }

    pub fn skopeo_push_as(
        &self,
        layout: &Path,
        tag: &str,
        repo_tag: &str,
        all: bool,
        creds: Option<&str>,
    ) {
        let mut cmd = Command::new("skopeo");
        cmd.args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ]);
        if let Some(c) = creds {
            cmd.arg(format!("--dest-creds={c}"));
        }
        if all {
            cmd.arg("--all");
        }
        let out = cmd
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{}/{repo_tag}", self.host()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blob written into an OCI layout.
#[derive(Clone, Debug)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

fn put_blob(layout: &Path, bytes: &[u8]) -> Blob {
    let digest = sha256_of(bytes).to_string();
    let dir = layout.join("blobs/sha256");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(digest.strip_prefix("sha256:").unwrap()), bytes).unwrap();
    Blob {
        digest,
        size: bytes.len() as u64,
    }
}

/// One image of an OCI layout: its manifest and what it points at.
pub struct BuiltImage {
    pub manifest: Blob,
    pub config: Blob,
    pub layer: Blob,
}

/// Build an OCI layout at `layout` holding a busybox image tagged `tag` (a gzip tar of
/// bin/busybox and bin/sh) plus, when `extra_arch` is set, an index with a second
/// platform entry of that architecture (same layer, its own config). Returns the images
/// in index order and the index blob when there is one.
pub fn busybox_layout(
    layout: &Path,
    tag: &str,
    extra_arch: Option<&str>,
) -> (Vec<BuiltImage>, Option<Blob>) {
    let work = tempfile::tempdir().unwrap();
    let rootfs = work.path().join("rootfs");
    fs::create_dir_all(rootfs.join("bin")).unwrap();
    fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
    let tar = work.path().join("layer.tar");
    let st = Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-C",
        ])
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
    let diff_id = sha256_of(&fs::read(&tar).unwrap()).to_string();
    assert!(Command::new("gzip")
        .arg("-n")
        .arg(&tar)
        .status()
        .unwrap()
        .success());
    let layer = put_blob(layout, &fs::read(work.path().join("layer.tar.gz")).unwrap());

    let mut images = Vec::new();
    let mut entries = Vec::new();
    for arch in std::iter::once("amd64").chain(extra_arch) {
        let config = serde_json::json!({
            "architecture": arch, "os": "linux",
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "berth test"}]
        });
        let config = put_blob(layout, serde_json::to_vec(&config).unwrap().as_slice());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer.digest, "size": layer.size}]
        });
        let manifest = put_blob(layout, serde_json::to_vec(&manifest).unwrap().as_slice());
        entries.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest.digest, "size": manifest.size,
            "platform": {"architecture": arch, "os": "linux"}
        }));
        images.push(BuiltImage {
            manifest,
            config,
            layer: layer.clone(),
        });
    }
    let (top, index_blob) = if extra_arch.is_some() {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries
        });
        let b = put_blob(layout, serde_json::to_vec(&index).unwrap().as_slice());
        (
            serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": b.digest, "size": b.size}),
            Some(b),
        )
    } else {
        let m = &images[0].manifest;
        (
            serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m.digest, "size": m.size}),
            None,
        )
    };
    let mut top = top;
    top["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
    let index_json = serde_json::json!({"schemaVersion": 2, "manifests": [top]});
    fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index_json).unwrap(),
    )
    .unwrap();
    fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    (images, index_blob)
}

/// An OCI layout with `n` layers, each a gzip tar of one file of `size` pseudo-random bytes
/// (incompressible, so uploads and downloads really move `size` bytes). Returns the manifest.
pub fn random_layers_layout(layout: &Path, tag: &str, n: usize, size: usize) -> BuiltImage {
    let work = tempfile::tempdir().unwrap();
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        let root = work.path().join(format!("l{i}"));
        fs::create_dir_all(&root).unwrap();
        let data: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        fs::write(root.join(format!("file{i}")), data).unwrap();
        let tar = work.path().join(format!("l{i}.tar"));
        let st = Command::new("tar")
            .args(["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-C"])
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .unwrap();
        assert!(st.success());
        diff_ids.push(sha256_of(&fs::read(&tar).unwrap()).to_string());
        assert!(Command::new("gzip")
            .arg("-n")
            .arg("-1")
            .arg(&tar)
            .status()
            .unwrap()
            .success());
        layers.push(put_blob(
            layout,
            &fs::read(work.path().join(format!("l{i}.tar.gz"))).unwrap(),
        ));
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}
    });
    let config = put_blob(layout, serde_json::to_vec(&config).unwrap().as_slice());
    let layer_descs: Vec<_> = layers
        .iter()
        .map(|l| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l.digest, "size": l.size}))
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size},
        "layers": layer_descs
    });
    let manifest = put_blob(layout, serde_json::to_vec(&manifest).unwrap().as_slice());
    let index_json = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest.digest, "size": manifest.size,
        "annotations": {"org.opencontainers.image.ref.name": tag}
    }]});
    fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index_json).unwrap(),
    )
    .unwrap();
    fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    BuiltImage {
        manifest,
        config,
        layer: layers[0].clone(),
    }
}
