//! Archives built in memory: round trips in both formats, the layouts other tools write, and
//! hostile input refused with the store unchanged.

use std::io::{Read, Write};

use oci_spec::image::Digest;

use super::*;
use crate::digest::sha256_of;
use crate::manifest;

struct Img {
    manifest: Digest,
    config: Digest,
    diff_id: Digest,
    layer_tar: Vec<u8>,
    config_bytes: Vec<u8>,
}

fn store() -> (tempfile::TempDir, BlobStore) {
    let t = tempfile::tempdir().unwrap();
    let s = BlobStore::open(t.path()).unwrap();
    (t, s)
}

/// An uncompressed busybox-like layer: bin/busybox (some bytes) and bin/sh -> busybox.
fn layer_tar(content: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    b.append_data(&mut h, "bin/", std::io::empty()).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o755);
    h.set_size(content.len() as u64);
    b.append_data(&mut h, "bin/busybox", content).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "bin/sh", "busybox").unwrap();
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A pulled-like image in `s`: gzip layer, OCI manifest.
fn busybox(s: &BlobStore, content: &[u8]) -> Img {
    let layer_tar = layer_tar(content);
    let diff_id = sha256_of(&layer_tar);
    let gz = gzip(&layer_tar);
    let layer = s.put(&gz).unwrap();
    let config_bytes = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    }))
    .unwrap();
    let config = s.put(&config_bytes).unwrap();
    let m = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest::OCI_MANIFEST,
        "config": {"mediaType": manifest::OCI_CONFIG, "digest": config.to_string(), "size": config_bytes.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer.to_string(), "size": gz.len()}],
    }))
    .unwrap();
    let manifest = s.put(&m).unwrap();
    Img {
        manifest,
        config,
        diff_id,
        layer_tar,
        config_bytes,
    }
}

fn r(s: &str) -> Reference {
    Reference::parse(s).unwrap()
}

fn listing(s: &BlobStore) -> Vec<String> {
    s.list().unwrap().iter().map(|d| d.to_string()).collect()
}

fn ingest_empty(s: &BlobStore) -> bool {
    std::fs::read_dir(s.root().join("ingest"))
        .unwrap()
        .next()
        .is_none()
}

/// A tar of (path, content) and (path, symlink target) entries; paths written raw, so
/// hostile names are possible.
enum E<'a> {
    File(&'a str, &'a [u8]),
    Link(&'a str, &'a str),
}
fn raw_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, data): (&str, &[u8]) = match e {
            E::File(n, d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                (n, d)
            }
            E::Link(n, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_link_name(t).unwrap();
                (n, &[])
            }
        };
        h.set_mode(0o644);
        let field = &mut h.as_old_mut().name;
        field[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn hex(d: &Digest) -> &str {
    d.digest()
}

#[test]
fn docker_archive_round_trip() {
    let (_t, a) = store();
    let img = busybox(&a, b"busybox binary");
    let mut out = Vec::new();
    save_docker_archive(
        &a,
        &[(
            vec![r("busybox"), r("example.com/x/bb:1")],
            img.manifest.clone(),
        )],
        &mut out,
    )
    .unwrap();

    let (_t2, b) = store();
    let loaded = load_docker_archive(out.as_slice(), &b).unwrap();
    assert_eq!(loaded.len(), 1);
    let l = &loaded[0];
    assert_eq!(
        l.references,
        vec![r("busybox:latest"), r("example.com/x/bb:1")]
    );
    assert_eq!(l.config_digest.as_ref(), Some(&img.config));
    assert_eq!(l.media_type, manifest::DOCKER_MANIFEST);
    // The layer is stored uncompressed: its digest is the diff ID.
    assert_eq!(b.read(&img.diff_id).unwrap(), img.layer_tar);
    let (mt, m) = manifest::parse(&b.read(&l.manifest_digest).unwrap(), None, "t").unwrap();
    assert_eq!(mt, manifest::DOCKER_MANIFEST);
    let manifest::Manifest::Image(m) = m else {
        panic!("not an image manifest")
    };
    assert_eq!(m.layers()[0].digest(), &img.diff_id);
    assert_eq!(
        m.layers()[0].media_type().to_string(),
        "application/vnd.docker.image.rootfs.diff.tar"
    );
    // Exactly manifest + config + layer, nothing stray, no temp files.
    assert_eq!(b.list().unwrap().len(), 3);
    assert!(ingest_empty(&b));

    // Save again from the loaded store and load into a third: identical digests.
    let mut again = Vec::new();
    save_docker_archive(
        &b,
        &[(l.references.clone(), l.manifest_digest.clone())],
        &mut again,
    )
    .unwrap();
    assert_eq!(again, {
        let mut x = Vec::new();
        save_docker_archive(
            &b,
            &[(l.references.clone(), l.manifest_digest.clone())],
            &mut x,
        )
        .unwrap();
        x
    });
    let (_t3, c) = store();
    let (fmt, loaded3) = load_archive(again.as_slice(), &c).unwrap();
    assert_eq!(fmt, ArchiveFormat::DockerArchive);
    assert_eq!(loaded3, loaded);
    assert_eq!(listing(&c), listing(&b));

    // Loading into a store that has it all already is a no-op with the same answer.
    assert_eq!(load_docker_archive(out.as_slice(), &b).unwrap(), loaded);
    assert_eq!(b.list().unwrap().len(), 3);
}

#[test]
fn two_images_sharing_a_layer_write_it_once() {
    let (_t, a) = store();
    let one = busybox(&a, b"same");
    // A second config over the same layer.
    let cfg2 = String::from_utf8(one.config_bytes.clone())
        .unwrap()
        .replace("/bin/sh", "/bin/ls");
    let cfg2d = a.put(cfg2.as_bytes()).unwrap();
    let m1 = a.read(&one.manifest).unwrap();
    let m2 = String::from_utf8(m1)
        .unwrap()
        .replace(one.config.as_ref(), cfg2d.as_ref());
    let m2d = a.put(m2.as_bytes()).unwrap();
    let mut out = Vec::new();
    save_docker_archive(
        &a,
        &[
            (vec![r("one:1")], one.manifest.clone()),
            (vec![r("two:2")], m2d),
        ],
        &mut out,
    )
    .unwrap();
    let mut ar = tar::Archive::new(out.as_slice());
    let layers = ar
        .entries()
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .unwrap()
                .to_string_lossy()
                .ends_with("layer.tar")
        })
        .count();
    assert_eq!(layers, 1);
    let (_t2, b) = store();
    let loaded = load_archive(out.as_slice(), &b).unwrap().1;
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[1].config_digest.as_ref(), Some(&cfg2d));
    assert_eq!(loaded[1].references, vec![r("two:2")]);
}

#[test]
fn oci_archive_round_trip_keeps_every_digest() {
    let (_t, a) = store();
    let img = busybox(&a, b"busybox binary");
    let mut out = Vec::new();
    save_oci_archive(
        &a,
        &[(vec![r("busybox:latest")], img.manifest.clone())],
        &mut out,
    )
    .unwrap();
    let (_t2, b) = store();
    let loaded = load_oci_archive(out.as_slice(), &b).unwrap();
    assert_eq!(
        loaded,
        vec![LoadedImage {
            references: vec![r("busybox:latest")],
            ref_name: Some("docker.io/library/busybox:latest".into()),
            manifest_digest: img.manifest.clone(),
            media_type: manifest::OCI_MANIFEST.into(),
            config_digest: Some(img.config.clone()),
        }]
    );
    assert_eq!(listing(&b), listing(&a));
    // Gzip-compressed input, auto-detected.
    let (_t3, c) = store();
    let (fmt, again) = load_archive(gzip(&out).as_slice(), &c).unwrap();
    assert_eq!(fmt, ArchiveFormat::OciLayout);
    assert_eq!(again, loaded);
    // Unnamed images round trip too.
    let mut out = Vec::new();
    save_oci_archive(&a, &[(vec![], img.manifest.clone())], &mut out).unwrap();
    let l = load_archive(out.as_slice(), &c).unwrap().1;
    assert!(l[0].references.is_empty() && l[0].ref_name.is_none());
}

#[test]
fn oci_layout_names_as_skopeo_and_containerd_write_them() {
    let (_t, a) = store();
    let img = busybox(&a, b"x");
    let mut out = Vec::new();
    save_oci_archive(&a, &[(vec![], img.manifest.clone())], &mut out).unwrap();
    // Rewrite index.json with the annotations other tools use.
    let m = a.read(&img.manifest).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": manifest::OCI_MANIFEST, "digest": img.manifest.to_string(), "size": m.len(),
         "annotations": {"org.opencontainers.image.ref.name": "latest"}},
        {"mediaType": manifest::OCI_MANIFEST, "digest": img.manifest.to_string(), "size": m.len(),
         "annotations": {"org.opencontainers.image.ref.name": "3.19",
                         "io.containerd.image.name": "docker.io/library/alpine:3.19"}},
        {"mediaType": manifest::OCI_MANIFEST, "digest": img.manifest.to_string(), "size": m.len(),
         "annotations": {"org.opencontainers.image.ref.name": "quay.io/x/y:2"}},
    ]})
    .to_string();
    let cfg = &img.config_bytes;
    let layer = a.list().unwrap();
    let mut blobs: Vec<(String, Vec<u8>)> = layer
        .iter()
        .map(|d| (format!("blobs/sha256/{}", hex(d)), a.read(d).unwrap()))
        .collect();
    blobs.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    blobs.push(("index.json".into(), index.into_bytes()));
    let _ = cfg;
    let entries: Vec<E<'_>> = blobs.iter().map(|(n, d)| E::File(n, d)).collect();
    let (_t2, b) = store();
    let l = load_archive(raw_tar(&entries).as_slice(), &b).unwrap().1;
    assert!(l[0].references.is_empty());
    assert_eq!(l[0].ref_name.as_deref(), Some("latest"));
    assert_eq!(l[1].references, vec![r("alpine:3.19")]);
    assert_eq!(l[2].references, vec![r("quay.io/x/y:2")]);
}

/// The layouts of docker 25+ (OCI blobs, legacy symlinks) and podman (`<hex>.tar`).
#[test]
fn docker25_and_podman_layouts_load() {
    let (_t, a) = store();
    let img = busybox(&a, b"bb");
    let cfg_path = format!("blobs/sha256/{}", hex(&img.config));
    let layer_path = format!("blobs/sha256/{}", hex(&img.diff_id));
    let legacy = format!("{}/layer.tar", "0123abcd");
    for layers_ref in [layer_path.clone(), legacy.clone()] {
        let mj = serde_json::json!([{"Config": cfg_path, "RepoTags": ["busybox:latest"], "Layers": [layers_ref]}])
            .to_string();
        let tar = raw_tar(&[
            E::File(&cfg_path, &img.config_bytes),
            E::File(&layer_path, &img.layer_tar),
            E::Link(&legacy, &format!("../{layer_path}")),
            E::File("manifest.json", mj.as_bytes()),
            E::File("index.json", br#"{"schemaVersion":2,"manifests":[]}"#),
            E::File("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ]);
        let (_t2, b) = store();
        let (fmt, l) = load_archive(tar.as_slice(), &b).unwrap();
        assert_eq!(fmt, ArchiveFormat::DockerArchive);
        assert_eq!(l[0].config_digest.as_ref(), Some(&img.config));
        assert!(b.exists(&img.diff_id).unwrap());
    }
    // podman / skopeo: <diffid>.tar and <config>.json, manifest.json first.
    let cfg_json = format!("{}.json", hex(&img.config));
    let layer_tar = format!("{}.tar", hex(&img.diff_id));
    let mj = serde_json::json!([{"Config": cfg_json, "RepoTags": ["busybox:latest"], "Layers": [layer_tar]}])
        .to_string();
    let tar = raw_tar(&[
        E::File("manifest.json", mj.as_bytes()),
        E::File(&layer_tar, &img.layer_tar),
        E::File(&cfg_json, &img.config_bytes),
    ]);
    let (_t2, b) = store();
    let l = load_docker_archive(tar.as_slice(), &b).unwrap();
    assert_eq!(l[0].references, vec![r("busybox")]);
    // A gzip layer inside a docker-archive is accepted, its diff ID checked decompressed.
    let gz = gzip(&img.layer_tar);
    let tar = raw_tar(&[
        E::File("manifest.json", mj.as_bytes()),
        E::File(&layer_tar, &gz),
        E::File(&cfg_json, &img.config_bytes),
    ]);
    let (_t3, c) = store();
    let l = load_docker_archive(tar.as_slice(), &c).unwrap();
    let (_, m) = manifest::parse(&c.read(&l[0].manifest_digest).unwrap(), None, "t").unwrap();
    let manifest::Manifest::Image(m) = m else {
        panic!()
    };
    assert_eq!(m.layers()[0].digest(), &sha256_of(&gz));
    assert_eq!(
        m.layers()[0].media_type().to_string(),
        manifest::DOCKER_LAYER_GZIP
    );
}

/// Load `tar` into a store already holding something; it must fail with the store as before.
fn refused(tar: &[u8]) -> ArchiveError {
    let (_t, s) = store();
    s.put(b"already here").unwrap();
    let before = listing(&s);
    let e = load_archive(tar, &s).unwrap_err();
    assert_eq!(listing(&s), before, "{e}");
    assert!(ingest_empty(&s));
    e
}

#[test]
fn hostile_and_broken_archives_are_refused_store_unchanged() {
    let (_t, a) = store();
    let img = busybox(&a, b"bb");
    let cfg_json = format!("{}.json", hex(&img.config));
    let layer_tar = format!("{}.tar", hex(&img.diff_id));
    let mj = serde_json::json!([{"Config": cfg_json, "RepoTags": ["busybox:latest"], "Layers": [layer_tar]}])
        .to_string();

    // `../` in a path, after good blobs went in.
    let e = refused(&raw_tar(&[
        E::File(&layer_tar, &img.layer_tar),
        E::File(&cfg_json, &img.config_bytes),
        E::File("../evil", b"x"),
    ]));
    assert!(
        matches!(&e, ArchiveError::UnsafePath { entry } if entry == "../evil"),
        "{e}"
    );
    assert!(matches!(
        refused(&raw_tar(&[E::File("/abs", b"x")])),
        ArchiveError::UnsafePath { .. }
    ));
    // A symlink out of the archive.
    let e = refused(&raw_tar(&[E::Link("a/layer.tar", "../../etc/passwd")]));
    assert!(matches!(e, ArchiveError::UnsafeLink { .. }), "{e}");

    // A blob whose content does not match its name.
    let e = refused(&raw_tar(&[
        E::File(&layer_tar, &img.layer_tar),
        E::File(&cfg_json, b"{\"tampered\": true}"),
        E::File("manifest.json", mj.as_bytes()),
    ]));
    assert!(
        matches!(&e, ArchiveError::Blob { entry, source: crate::Error::DigestMismatch { .. } } if *entry == cfg_json),
        "{e}"
    );
    assert!(e.to_string().contains(&cfg_json), "{e}");

    // manifest.json pointing at a missing layer.
    let e = refused(&raw_tar(&[
        E::File(&cfg_json, &img.config_bytes),
        E::File("manifest.json", mj.as_bytes()),
    ]));
    assert!(
        matches!(&e, ArchiveError::MissingEntry { entry, .. } if *entry == layer_tar),
        "{e}"
    );

    // A layer whose content is not the config's diff ID.
    let other = layer_tar_of(b"other");
    let e = refused(&raw_tar(&[
        E::File(&layer_tar, &other),
        E::File(&cfg_json, &img.config_bytes),
        E::File("manifest.json", mj.as_bytes()),
    ]));
    assert!(matches!(e, ArchiveError::DiffIdMismatch { .. }), "{e}");

    // Truncated mid-entry, in both formats; and gzip-truncated.
    let mut good = Vec::new();
    save_docker_archive(&a, &[(vec![r("busybox")], img.manifest.clone())], &mut good).unwrap();
    let e = refused(&good[..good.len() / 2 + 100]);
    assert!(matches!(e, ArchiveError::Read { .. }), "{e}");
    let e = refused(&gzip(&good)[..200]);
    assert!(matches!(e, ArchiveError::Read { .. }), "{e}");
    let mut oci = Vec::new();
    save_oci_archive(&a, &[(vec![r("busybox")], img.manifest.clone())], &mut oci).unwrap();
    let e = refused(&oci[..oci.len() / 2 + 100]);
    assert!(
        matches!(
            e,
            ArchiveError::Read { .. } | ArchiveError::MissingEntry { .. }
        ),
        "{e}"
    );

    // OCI: index.json naming a blob that is not there; a size that lies.
    let m = a.read(&img.manifest).unwrap();
    let idx = |size: usize| {
        serde_json::json!({"schemaVersion": 2, "manifests": [
            {"mediaType": manifest::OCI_MANIFEST, "digest": img.manifest.to_string(), "size": size}]})
        .to_string()
    };
    let mpath = format!("blobs/sha256/{}", hex(&img.manifest));
    let i = idx(m.len());
    let e = refused(&raw_tar(&[
        E::File(&mpath, &m),
        E::File("index.json", i.as_bytes()),
    ]));
    assert!(matches!(e, ArchiveError::MissingEntry { .. }), "{e}");
    let i = idx(m.len() + 1);
    let e = refused(&raw_tar(&[
        E::File(&mpath, &m),
        E::File("index.json", i.as_bytes()),
    ]));
    assert!(matches!(e, ArchiveError::Invalid { .. }), "{e}");

    // Not an image archive at all.
    assert!(matches!(
        refused(&raw_tar(&[E::File("hello.txt", b"hi")])),
        ArchiveError::UnknownFormat { .. }
    ));
    assert!(matches!(refused(b""), ArchiveError::UnknownFormat { .. }));
    // An invalid name in RepoTags.
    let bad = mj.replace("busybox:latest", "UPPER:case");
    let e = refused(&raw_tar(&[
        E::File(&layer_tar, &img.layer_tar),
        E::File(&cfg_json, &img.config_bytes),
        E::File("manifest.json", bad.as_bytes()),
    ]));
    assert!(matches!(e, ArchiveError::InvalidName { .. }), "{e}");
}

fn layer_tar_of(content: &[u8]) -> Vec<u8> {
    layer_tar(content)
}

#[test]
fn save_refuses_a_layer_that_does_not_match_its_diff_id() {
    let (_t, a) = store();
    let img = busybox(&a, b"bb");
    // Replace the config with one claiming another diff ID.
    let cfg = String::from_utf8(img.config_bytes.clone())
        .unwrap()
        .replace(hex(&img.diff_id), &"0".repeat(64));
    let cfgd = a.put(cfg.as_bytes()).unwrap();
    let m = String::from_utf8(a.read(&img.manifest).unwrap())
        .unwrap()
        .replace(img.config.as_ref(), cfgd.as_ref());
    let md = a.put(m.as_bytes()).unwrap();
    let e = save_docker_archive(&a, &[(vec![], md)], &mut Vec::new()).unwrap_err();
    assert!(matches!(e, ArchiveError::DiffIdMismatch { .. }), "{e}");
    let missing = sha256_of(b"nothing");
    let e = save_oci_archive(&a, &[(vec![r("x")], missing)], &mut Vec::new()).unwrap_err();
    assert!(
        matches!(&e, ArchiveError::Image { image, source: crate::Error::BlobNotFound { .. } } if image == "x:latest"),
        "{e}"
    );
    let mut sink = Vec::new();
    std::io::empty().read_to_end(&mut sink).unwrap();
}

#[test]
fn index_with_one_platform_present_round_trips() {
    let (_t, a) = store();
    let img = busybox(&a, b"bb");
    let m = a.read(&img.manifest).unwrap();
    let absent = sha256_of(b"arm64 manifest never pulled");
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": manifest::OCI_INDEX,
        "manifests": [
            {"mediaType": manifest::OCI_MANIFEST, "digest": absent.to_string(), "size": 10,
             "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": manifest::OCI_MANIFEST, "digest": img.manifest.to_string(), "size": m.len(),
             "platform": {"architecture": "amd64", "os": "linux"}},
        ]
    }))
    .unwrap();
    let idx = a.put(&index).unwrap();
    let images = [(vec![r("multi:1")], idx.clone())];
    let mut out = Vec::new();
    save_oci_archive(&a, &images, &mut out).unwrap();
    let mut out2 = Vec::new();
    save_oci_archive(&a, &images, &mut out2).unwrap();
    assert_eq!(out, out2, "saving is deterministic");
    let (_t2, b) = store();
    let l = load_oci_archive(out.as_slice(), &b).unwrap();
    assert_eq!(l[0].manifest_digest, idx);
    assert_eq!(l[0].media_type, manifest::OCI_INDEX);
    assert_eq!(l[0].config_digest, None);
    assert_eq!(listing(&b), listing(&a));
    // docker-archive has no indexes: the linux/amd64 image is saved.
    let mut da = Vec::new();
    save_docker_archive(&a, &images, &mut da).unwrap();
    let (_t3, c) = store();
    let l = load_docker_archive(da.as_slice(), &c).unwrap();
    assert_eq!(l[0].config_digest.as_ref(), Some(&img.config));
    assert_eq!(l[0].references, vec![r("multi:1")]);
}
