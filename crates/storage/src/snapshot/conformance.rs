//! One conformance suite for every snapshotter (containerd core/snapshots/testsuite): real
//! layers unpacked from tars, real mounts in a temp dir, unmounted at the end of each case.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::testutil::{tree, Node, RawTar};
use crate::unpack::{unpack_layer, UnpackOptions};

/// A mount made by a test; unmounted (lazily, so a failing test cannot leak it) on drop.
pub(crate) struct Mounted {
    pub(crate) target: PathBuf,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Err(e) = rustix::mount::unmount(&self.target, rustix::mount::UnmountFlags::DETACH) {
            eprintln!("unmount {}: {e}", self.target.display());
        }
    }
}

/// Performs `m` on `target` with mount(8) in a child process, so `Mount::cwd` can be honoured
/// without changing this (multi-threaded) test process's working directory.
pub(crate) fn mount(m: &Mount, target: &Path) -> Mounted {
    let mut cmd = Command::new("mount");
    if m.fs_type == "bind" {
        cmd.arg("--rbind");
        let ro: Vec<&str> = m.flag_options().filter(|o| *o == "ro").collect();
        if !ro.is_empty() {
            cmd.args(["-o", "ro"]);
        }
    } else {
        cmd.args(["-t", &m.fs_type]);
        cmd.args(["-o", &m.options.join(",")]);
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
    Mounted {
        target: target.to_path_buf(),
    }
}

pub(crate) struct Env {
    pub(crate) tmp: tempfile::TempDir,
    n: usize,
}

impl Env {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("layers")).unwrap();
        Env { tmp, n: 0 }
    }

    pub(crate) fn layer(&mut self, tar: Vec<u8>) -> PathBuf {
        self.n += 1;
        let dest = self
            .tmp
            .path()
            .join("layers")
            .join(format!("layer{}", self.n));
        unpack_layer(
            &tar[..],
            &dest,
            &UnpackOptions {
                sync: false,
                ..Default::default()
            },
        )
        .unwrap();
        dest
    }

    pub(crate) fn target(&self, name: &str) -> PathBuf {
        let t = self.tmp.path().join(name);
        std::fs::create_dir_all(&t).unwrap();
        t
    }
}

fn files(t: &BTreeMap<String, Node>) -> Vec<(String, String)> {
    t.iter()
        .filter_map(|(k, v)| match v {
            Node::File { data, .. } => {
                Some((k.clone(), String::from_utf8_lossy(data).into_owned()))
            }
            _ => None,
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub(crate) type Make = fn(&Path) -> Box<dyn Snapshotter>;

pub(crate) fn drivers() -> Vec<(&'static str, Make)> {
    vec![
        ("overlay", |root: &Path| {
            Box::new(OverlaySnapshotter::new(&root.join("overlay")).unwrap())
                as Box<dyn Snapshotter>
        }),
        ("vfs", |root: &Path| {
            Box::new(VfsSnapshotter::new(&root.join("vfs")).unwrap()) as Box<dyn Snapshotter>
        }),
    ]
}

pub(crate) fn two_layers(env: &mut Env) -> Vec<PathBuf> {
    let l1 = env.layer(
        RawTar::new()
            .file("etc/hosts", b"hosts")
            .file("etc/passwd", b"root")
            .file("var/a", b"a")
            .file("var/b", b"b")
            .file("keep", b"1")
            .finish(),
    );
    let l2 = env.layer(
        RawTar::new()
            .file("etc/.wh.hosts", b"")
            .dir("var/", 0o755)
            .file("var/.wh..wh..opq", b"")
            .file("var/c", b"c")
            .file("keep", b"2")
            .finish(),
    );
    vec![l1, l2]
}

#[test]
fn whiteouts_and_opaque_dirs() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let parents = two_layers(&mut env);
        let sn = make(env.tmp.path());
        let mounts = sn.prepare("c1", &parents).unwrap();
        assert_eq!(mounts.len(), 1, "{name}");
        let target = env.target("merged");
        let m = mount(&mounts[0], &target);
        assert_eq!(
            files(&tree(&target)),
            pairs(&[("etc/passwd", "root"), ("keep", "2"), ("var/c", "c")]),
            "{name}"
        );
        // Writes land in the snapshot, never in a layer.
        std::fs::write(target.join("new"), b"n").unwrap();
        std::fs::remove_file(target.join("etc/passwd")).unwrap();
        drop(m);
        assert_eq!(tree(&parents[0]).len(), 7, "{name}: lower layer untouched");
        let upper = sn.upper_dir("c1").unwrap();
        assert_eq!(std::fs::read(upper.join("new")).unwrap(), b"n", "{name}");
        assert!(sn.usage("c1").unwrap().inodes >= 1, "{name}");
        sn.remove("c1").unwrap();
    }
}

#[test]
fn views_are_read_only() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let parents = two_layers(&mut env);
        let sn = make(env.tmp.path());
        for (key, ps) in [
            ("v0", vec![]),
            ("v1", parents[..1].to_vec()),
            ("v2", parents.clone()),
        ] {
            let mounts = sn.view(key, &ps).unwrap();
            let target = env.target(key);
            let _m = mount(&mounts[0], &target);
            let err = std::fs::write(target.join("x"), b"x").unwrap_err();
            assert_eq!(
                err.raw_os_error(),
                Some(rustix::io::Errno::ROFS.raw_os_error()),
                "{name} {key}"
            );
            assert_eq!(
                tree(&target).len(),
                match key {
                    "v0" => 0,
                    "v1" => 7,
                    _ => 5,
                },
                "{name} {key}"
            );
        }
    }
}

#[test]
fn deep_chain_of_130_layers_mounts() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let mut parents = Vec::new();
        for i in 0..130 {
            let mut t = RawTar::new();
            t.file(&format!("f{i:03}"), format!("{i}").as_bytes());
            if i % 10 == 9 {
                t.file(&format!(".wh.f{:03}", i - 1), b"");
            }
            parents.push(env.layer(t.finish()));
        }
        let sn = make(env.tmp.path());
        let mounts = sn.prepare("deep", &parents).unwrap();
        if name == "overlay" {
            let abs_len = env
                .tmp
                .path()
                .join("overlay/l/xxxxxxxxxx:")
                .as_os_str()
                .len()
                * 130;
            assert!(
                abs_len > 4096,
                "the test must exceed a page with absolute paths"
            );
            assert!(mounts[0].cwd.is_some(), "relative lowerdirs expected");
            assert!(mounts[0].data().len() < 4096);
        }
        let target = env.target("merged");
        let m = mount(&mounts[0], &target);
        let t = tree(&target);
        assert_eq!(t.len(), 130 - 13, "{name}");
        assert!(
            t.contains_key("f129") && !t.contains_key("f128") && t.contains_key("f000"),
            "{name}"
        );
        drop(m);
        sn.remove("deep").unwrap();
    }
}

#[test]
fn removal_and_errors() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let parents = two_layers(&mut env);
        let sn = make(env.tmp.path());
        sn.prepare("c1", &parents).unwrap();
        assert!(
            matches!(
                sn.prepare("c1", &parents),
                Err(StorageError::SnapshotExists { .. })
            ),
            "{name}"
        );
        assert!(
            matches!(
                sn.prepare("../x", &parents),
                Err(StorageError::InvalidKey { .. })
            ),
            "{name}"
        );
        assert_eq!(sn.parents("c1").unwrap(), parents, "{name}");
        assert_eq!(sn.mounts("c1").unwrap(), sn.mounts("c1").unwrap(), "{name}");
        let upper = sn.upper_dir("c1").unwrap();
        std::fs::write(upper.join("big"), vec![7u8; 1 << 20]).unwrap();
        assert!(sn.usage("c1").unwrap().size >= 1 << 20, "{name}");
        sn.remove("c1").unwrap();
        assert!(!upper.exists(), "{name}");
        assert!(
            matches!(sn.mounts("c1"), Err(StorageError::SnapshotNotFound { .. })),
            "{name}"
        );
        assert!(
            matches!(sn.remove("c1"), Err(StorageError::SnapshotNotFound { .. })),
            "{name}"
        );
        assert_eq!(
            tree(&parents[0]).len(),
            7,
            "{name}: layers survive snapshot removal"
        );
        // The key is free again.
        sn.prepare("c1", &parents).unwrap();
        sn.view("v1", &parents).unwrap();
        assert_eq!(sn.list().unwrap(), ["c1", "v1"], "{name}");
        sn.remove("c1").unwrap();
        sn.remove("v1").unwrap();
        assert!(sn.list().unwrap().is_empty(), "{name}");
        // Leftovers of a crash in prepare or remove are found and removed.
        let snaps = env.tmp.path().join(name).join("snapshots");
        std::fs::create_dir_all(snaps.join(".tmp-c2-0000/upper")).unwrap();
        std::fs::create_dir_all(snaps.join(".rm-c3-0000/upper")).unwrap();
        assert_eq!(sn.cleanup().unwrap().len(), 2, "{name}");
        assert!(sn.list().unwrap().is_empty(), "{name}");
        assert_eq!(std::fs::read_dir(&snaps).unwrap().count(), 0, "{name}");
    }
}

#[test]
fn probe_finds_overlay_and_detect_picks_it() {
    let env = Env::new();
    probe(&env.tmp.path().join("overlay")).unwrap();
    let sn = detect(env.tmp.path()).unwrap();
    assert_eq!(sn.name(), "overlay");
    // Nothing of the probe is left behind.
    let left: Vec<_> = std::fs::read_dir(env.tmp.path().join("overlay"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().starts_with(".probe")),
        "{left:?}"
    );
}

#[test]
fn overlay_root_must_be_safe_in_mount_options() {
    let env = Env::new();
    for bad in ["rel/dir", "/tmp/a,b", "/tmp/a:b", "/tmp/a b"] {
        assert!(OverlaySnapshotter::new(Path::new(bad)).is_err(), "{bad}");
    }
    let sn = OverlaySnapshotter::new(&env.tmp.path().join("ok")).unwrap();
    let m = sn.prepare("c", &[]).unwrap();
    for fixed in overlay::FIXED_OPTIONS {
        assert!(m[0].options.iter().any(|o| o == fixed), "{fixed}");
    }
}

#[test]
fn detect_falls_back_to_vfs_where_overlay_cannot_be_the_upper() {
    let mut env = Env::new();
    let parents = two_layers(&mut env);
    // An overlay filesystem cannot hold overlay upper dirs: the probe must fail there.
    let base = env.tmp.path();
    for d in ["l", "u", "w", "m"] {
        std::fs::create_dir(base.join(d)).unwrap();
    }
    let outer = Mount {
        fs_type: "overlay".into(),
        source: "overlay".into(),
        target: PathBuf::new(),
        options: vec![format!(
            "lowerdir={0}/l,upperdir={0}/u,workdir={0}/w",
            base.display()
        )],
        cwd: None,
    };
    let _outer = mount(&outer, &base.join("m"));
    let root = base.join("m/berth");
    assert!(probe(&root.join("overlay")).is_err());
    let sn = detect(&root).unwrap();
    assert_eq!(sn.name(), "vfs");
    let mounts = sn.prepare("c1", &parents).unwrap();
    let target = env.target("merged");
    let m = mount(&mounts[0], &target);
    assert_eq!(
        files(&tree(&target)),
        pairs(&[("etc/passwd", "root"), ("keep", "2"), ("var/c", "c")])
    );
    drop(m);
    sn.remove("c1").unwrap();
}

#[test]
fn overlay_links_are_shared_and_pruned_when_layers_go() {
    let mut env = Env::new();
    let parents = two_layers(&mut env);
    let sn = OverlaySnapshotter::new(&env.tmp.path().join("overlay")).unwrap();
    let a = sn.prepare("a", &parents).unwrap();
    let b = sn.prepare("b", &parents).unwrap();
    let lower = |m: &[Mount]| {
        m[0].options
            .iter()
            .find(|o| o.starts_with("lowerdir="))
            .cloned()
            .unwrap()
    };
    assert_eq!(
        lower(&a),
        lower(&b),
        "both snapshots use the same short links"
    );
    let links = env.tmp.path().join("overlay/l");
    assert_eq!(std::fs::read_dir(&links).unwrap().count(), 2);
    for l in std::fs::read_dir(&links).unwrap() {
        let target = std::fs::read_link(l.unwrap().path()).unwrap();
        assert!(parents.contains(&target));
    }
    sn.remove("a").unwrap();
    sn.remove("b").unwrap();
    std::fs::remove_dir_all(&parents[1]).unwrap();
    sn.cleanup().unwrap();
    assert_eq!(
        std::fs::read_dir(&links).unwrap().count(),
        1,
        "the dangling link is gone, the live one kept"
    );
}
