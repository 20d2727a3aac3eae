//! End-to-end tests of the `image` crate against Debian's docker-registry on 127.0.0.1:
//! images built by hand from /bin/busybox, pushed with skopeo, pulled and pushed back with
//! berth's registry client. Each test starts its own registry with a fresh storage dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod archive;
mod registry;

use std::fs;
use std::sync::Mutex;

use image::registry::config::RegistryConfig;
use image::registry::{AuthFile, Credentials};
use image::{
    BlobStore, Error, NoProgress, PlatformSpec, ProgressEvent, PullOptions, PushOptions, Reference,
    RegistryClient,
};
use registry::{busybox_layout, Registry};

fn client() -> RegistryClient {
    RegistryClient::new(RegistryConfig::default(), None)
}

fn reference(reg: &Registry, name: &str) -> Reference {
    Reference::parse(&format!("{}/{name}", reg.host())).unwrap()
}

fn digests(store: &BlobStore) -> Vec<String> {
    store
        .list()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect()
}

fn ingest_is_empty(store: &BlobStore) -> bool {
    fs::read_dir(store.root().join("ingest"))
        .unwrap()
        .next()
        .is_none()
}

/// Collects progress events.
#[derive(Default)]
struct Events(Mutex<Vec<ProgressEvent>>);
impl image::Progress for Events {
    fn event(&self, e: ProgressEvent) {
        self.0.lock().unwrap().push(e);
    }
}
impl Events {
    fn any(&self, f: impl Fn(&ProgressEvent) -> bool) -> bool {
        self.0.lock().unwrap().iter().any(f)
    }
}

#[test]
fn pull_by_tag_and_digest_then_push_back() {
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (images, _) = busybox_layout(layout.path(), "1.0", None);
    let built = &images[0];
    reg.skopeo_push(layout.path(), "1.0", "busybox:1.0", false);
    let c = client();

    // By tag.
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    let events = Events::default();
    let r = reference(&reg, "busybox:1.0");
    let pulled = c
        .pull(&r, &store, &PullOptions::default(), &events)
        .unwrap();
    assert_eq!(pulled.repo_digest.to_string(), built.manifest.digest);
    assert_eq!(
        pulled.manifest_descriptor.digest().to_string(),
        built.manifest.digest
    );
    assert_eq!(pulled.image_id().to_string(), built.config.digest);
    assert_eq!(pulled.fetched_layers.len(), 1);
    assert_eq!(pulled.config.architecture().to_string(), "amd64");
    let mut want = vec![
        built.manifest.digest.clone(),
        built.config.digest.clone(),
        built.layer.digest.clone(),
    ];
    want.sort();
    assert_eq!(digests(&store), want);
    for d in store.list().unwrap() {
        store.verify(&d).unwrap();
    }
    assert!(events.any(|e| matches!(e, ProgressEvent::DownloadComplete { .. })));
    assert!(ingest_is_empty(&store));

    // Again: nothing fetched, the layer reported as already there.
    let events = Events::default();
    let again = c
        .pull(&r, &store, &PullOptions::default(), &events)
        .unwrap();
    assert!(again.fetched_layers.is_empty());
    assert!(events.any(|e| matches!(e, ProgressEvent::AlreadyExists { .. })));

    // By digest, into a fresh store.
    let st2 = tempfile::tempdir().unwrap();
    let store2 = BlobStore::open(st2.path()).unwrap();
    let by_digest = reference(&reg, &format!("busybox@{}", built.manifest.digest));
    let pulled2 = c
        .pull(&by_digest, &store2, &PullOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(pulled2.repo_digest.to_string(), built.manifest.digest);
    assert_eq!(digests(&store2), want);

    // Push back under another name, mounting from the first repository.
    let events = Events::default();
    let copy = reference(&reg, "copy/busybox:2.0");
    let opts = PushOptions {
        mount_from: vec!["busybox".into()],
        ..Default::default()
    };
    let pushed = c
        .push(&store, &copy, &pulled.repo_digest, &opts, &events)
        .unwrap();
    assert_eq!(pushed, pulled.repo_digest);
    assert!(
        events.any(|e| matches!(e, ProgressEvent::MountedFrom { .. })),
        "{:?}",
        events.0.lock().unwrap()
    );
    assert!(events.any(|e| matches!(e, ProgressEvent::ManifestPushed { .. })));
    assert_eq!(c.resolve(&copy).unwrap().digest, pulled.repo_digest);

    // Push under a third name with chunked uploads (no mount), then once more: all exist.
    let events = Events::default();
    let other = reference(&reg, "other:3.0");
    let opts = PushOptions {
        chunk_size: Some(64 * 1024),
        ..Default::default()
    };
    assert_eq!(
        c.push(&store, &other, &pulled.repo_digest, &opts, &events)
            .unwrap(),
        pulled.repo_digest
    );
    assert!(events.any(|e| matches!(e, ProgressEvent::Pushed { .. })));
    let events = Events::default();
    c.push(
        &store,
        &other,
        &pulled.repo_digest,
        &PushOptions::default(),
        &events,
    )
    .unwrap();
    assert!(events.any(|e| matches!(e, ProgressEvent::LayerAlreadyExists { .. })));
    assert!(!events.any(|e| matches!(e, ProgressEvent::Pushed { .. })));

    // Pull the chunked push back and compare everything.
    let st3 = tempfile::tempdir().unwrap();
    let store3 = BlobStore::open(st3.path()).unwrap();
    let back = c
        .pull(&other, &store3, &PullOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(back.repo_digest, pulled.repo_digest);
    assert_eq!(digests(&store3), want);

    // skopeo agrees on the digest of what berth pushed.
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{}/other:3.0", reg.host()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        built.manifest.digest
    );
}

#[test]
fn multi_platform_index_picks_the_platform_and_pushes_back() {
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (images, index) = busybox_layout(layout.path(), "multi", Some("arm64"));
    let index = index.unwrap();
    reg.skopeo_push(layout.path(), "multi", "multi:1", true);
    let c = client();
    let r = reference(&reg, "multi:1");
    // Both platforms into one store, each checked; then the whole index pushed back.
    let all = tempfile::tempdir().unwrap();
    let all = BlobStore::open(all.path()).unwrap();
    for (platform, built) in [("linux/amd64", &images[0]), ("linux/arm64/v8", &images[1])] {
        let opts = PullOptions {
            platform: platform.parse().unwrap(),
            ..Default::default()
        };
        let p = c.pull(&r, &all, &opts, &NoProgress).unwrap();
        assert_eq!(p.repo_digest.to_string(), index.digest);
        assert_eq!(p.index.as_ref().unwrap().digest().to_string(), index.digest);
        assert_eq!(
            p.manifest_descriptor.digest().to_string(),
            built.manifest.digest,
            "{platform}"
        );
        assert_eq!(p.image_id().to_string(), built.config.digest);
        assert!(all.exists(&p.repo_digest).unwrap());
    }
    let copy = reference(&reg, "multi-copy:1");
    let pushed = c
        .push(
            &all,
            &copy,
            &image::digest::parse(&index.digest).unwrap(),
            &PushOptions::default(),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(pushed.to_string(), index.digest);
    let resolved = c.resolve(&copy).unwrap();
    assert_eq!(resolved.digest.to_string(), index.digest);
    assert!(matches!(resolved.manifest, image::Manifest::Index(_)));

    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    let opts = PullOptions {
        platform: PlatformSpec::new("linux", "s390x", None),
        ..Default::default()
    };
    let e = c.pull(&r, &store, &opts, &NoProgress).unwrap_err();
    assert!(
        e.to_string()
            .contains("no matching manifest for linux/s390x"),
        "{e}"
    );
    assert!(digests(&store).is_empty());
}

#[test]
fn tampered_and_truncated_blobs_are_refused_store_unchanged() {
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (images, _) = busybox_layout(layout.path(), "1.0", None);
    let built = &images[0];
    reg.skopeo_push(layout.path(), "1.0", "busybox:1.0", false);
    let c = client();
    let r = reference(&reg, "busybox:1.0");

    // A store already holding something unrelated.
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    store.put(b"unrelated").unwrap();
    let before = digests(&store);

    // Same size, different bytes: digest mismatch.
    let data = reg.blob_data(&built.layer.digest);
    let good = fs::read(&data).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    fs::write(&data, &bad).unwrap();
    let e = c
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&built.layer.digest), "{e}");
    assert_eq!(digests(&store), before);
    assert!(ingest_is_empty(&store));

    // Truncated: size mismatch, after resume attempts.
    fs::write(&data, &good[..good.len() - 100]).unwrap();
    let opts = PullOptions {
        attempts: 2,
        ..Default::default()
    };
    let e = c.pull(&r, &store, &opts, &NoProgress).unwrap_err();
    assert!(matches!(e, Error::SizeMismatch { .. }), "{e}");
    assert_eq!(digests(&store), before);
    assert!(ingest_is_empty(&store));

    // Restored: the pull completes.
    fs::write(&data, &good).unwrap();
    c.pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(digests(&store).len(), before.len() + 3);
}

#[test]
fn bad_input_errors_name_the_image() {
    let Some(reg) = Registry::start() else { return };
    let c = client();
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    let r = reference(&reg, "nothere:1");
    let e = c
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap_err();
    assert!(matches!(e, Error::ManifestUnknown { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "manifest for {}/nothere:1 not found: manifest unknown",
            reg.host()
        )
    );

    // A registry that is down.
    let port = reg.port;
    drop(reg);
    let r = Reference::parse(&format!("127.0.0.1:{port}/busybox")).unwrap();
    let e = c
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(digests(&store).is_empty());
}

#[test]
fn basic_auth_login_logout() {
    let Some(reg) = Registry::start_with_user("berth", "s3cret") else {
        return;
    };
    let layout = tempfile::tempdir().unwrap();
    let (images, _) = busybox_layout(layout.path(), "1.0", None);
    reg.skopeo_push_as(
        layout.path(),
        "1.0",
        "private:1.0",
        false,
        Some("berth:s3cret"),
    );
    let r = reference(&reg, "private:1.0");
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();

    // Anonymous: refused with Docker's wording, store untouched.
    let e = client()
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("pull access denied for {}/private", reg.host())),
        "{e}"
    );
    assert!(digests(&store).is_empty());

    // login checks the password before anything is written.
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = cfg_dir.path().join("config.json");
    let e = client()
        .login(&reg.host(), &Credentials::new("berth", "wrong"))
        .unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e}");
    client()
        .login(&reg.host(), &Credentials::new("berth", "s3cret"))
        .unwrap();
    image::registry::config::login(&cfg, &reg.host(), &Credentials::new("berth", "s3cret"))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let authed = RegistryClient::new(
        RegistryConfig::default(),
        Some(AuthFile::load(&cfg).unwrap()),
    );
    let p = authed
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(p.repo_digest.to_string(), images[0].manifest.digest);
    let copy = reference(&reg, "private-copy:1");
    let opts = PushOptions {
        mount_from: vec!["private".into()],
        ..Default::default()
    };
    assert_eq!(
        authed
            .push(&store, &copy, &p.repo_digest, &opts, &NoProgress)
            .unwrap(),
        p.repo_digest
    );
    // Anonymous push is denied.
    let e = client()
        .push(
            &store,
            &reference(&reg, "anon:1"),
            &p.repo_digest,
            &PushOptions::default(),
            &NoProgress,
        )
        .unwrap_err();
    assert!(matches!(e, Error::PushDenied { .. }), "{e}");

    assert!(image::registry::config::logout(&cfg, &reg.host()).unwrap());
    let logged_out = RegistryClient::new(
        RegistryConfig::default(),
        Some(AuthFile::load(&cfg).unwrap()),
    );
    let st2 = tempfile::tempdir().unwrap();
    let store2 = BlobStore::open(st2.path()).unwrap();
    assert!(matches!(
        logged_out.pull(&r, &store2, &PullOptions::default(), &NoProgress),
        Err(Error::PullDenied { .. })
    ));
}

#[test]
fn docker_hub_names_pull_through_a_mirror() {
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (images, _) = busybox_layout(layout.path(), "1.0", None);
    reg.skopeo_push(layout.path(), "1.0", "library/busybox:1.0", false);
    let config = RegistryConfig {
        mirrors: vec![format!("http://{}", reg.host())],
        insecure_registries: vec![],
    };
    // Docker Hub itself is never contacted: this test stays on 127.0.0.1.
    let c = RegistryClient::new(config, None).without_docker_hub();
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    let r = Reference::parse("busybox:1.0").unwrap();
    let p = c
        .pull(&r, &store, &PullOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(p.repo_digest.to_string(), images[0].manifest.digest);
    assert_eq!(p.reference.familiar(), "busybox:1.0");
}

#[test]
fn many_layers_in_parallel_both_ways() {
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let built = registry::random_layers_layout(layout.path(), "big", 6, 2 * 1024 * 1024);
    reg.skopeo_push(layout.path(), "big", "big:1", false);
    let c = client();
    let st = tempfile::tempdir().unwrap();
    let store = BlobStore::open(st.path()).unwrap();
    let events = Events::default();
    let p = c
        .pull(
            &reference(&reg, "big:1"),
            &store,
            &PullOptions::default(),
            &events,
        )
        .unwrap();
    assert_eq!(p.repo_digest.to_string(), built.manifest.digest);
    assert_eq!(p.fetched_layers.len(), 6);
    assert!(events.any(
        |e| matches!(e, ProgressEvent::Downloading { current, total, .. } if current < total)
    ));
    for d in store.list().unwrap() {
        store.verify(&d).unwrap();
    }
    // Chunked push of 6 layers, 3 at a time, to a new name; then pull it back.
    let events = Events::default();
    let opts = PushOptions {
        chunk_size: Some(512 * 1024),
        max_concurrent: 3,
        ..Default::default()
    };
    let dst = reference(&reg, "big-copy:1");
    assert_eq!(
        c.push(&store, &dst, &p.repo_digest, &opts, &events)
            .unwrap(),
        p.repo_digest
    );
    let pushed = events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Pushed { .. }))
        .count();
    assert_eq!(pushed, 7, "6 layers + config");
    let st2 = tempfile::tempdir().unwrap();
    let store2 = BlobStore::open(st2.path()).unwrap();
    let back = c
        .pull(
            &dst,
            &store2,
            &PullOptions {
                max_concurrent: 6,
                ..Default::default()
            },
            &NoProgress,
        )
        .unwrap();
    assert_eq!(back.repo_digest, p.repo_digest);
    assert_eq!(digests(&store2), digests(&store));
}
