//! Diff tests: layer → diff → same entries; container changes through a real overlay (and
//! vfs) mount → diff → applied as a new layer shows the same tree.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::*;
use crate::snapshot::conformance::{drivers, mount, two_layers, Env};
use crate::testutil::{tree, RawTar};
use crate::unpack::{unpack_layer, UnpackOptions};

/// Entry names and types of a tar, in order.
fn entries(tar: &[u8]) -> Vec<(String, u8)> {
    let mut a = tar::Archive::new(tar);
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let p = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string();
            (p, e.header().entry_type().as_byte())
        })
        .collect()
}

fn xattr_of(tar: &[u8], path: &str, key: &str) -> Option<Vec<u8>> {
    let mut a = tar::Archive::new(tar);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy().trim_end_matches('/') == path {
            let exts = e.pax_extensions().unwrap()?;
            for x in exts {
                let x = x.unwrap();
                if x.key().unwrap() == format!("SCHILY.xattr.{key}") {
                    return Some(x.value_bytes().to_vec());
                }
            }
        }
    }
    None
}

#[test]
fn unpacked_layer_diffs_back_to_the_same_entries() {
    let mut env = Env::new();
    let original = RawTar::new()
        .dir("etc/", 0o755)
        .file("etc/.wh.hosts", b"")
        .file("etc/passwd", b"root")
        .hardlink("etc/passwd2", "etc/passwd")
        .dir("var/", 0o700)
        .file("var/.wh..wh..opq", b"")
        .file("var/c", b"c")
        .symlink("sh", "/bin/busybox")
        .device("null", tar::EntryType::Char, 1, 3)
        .file_with_xattrs("cap", b"x", &[("user.berth", b"1")])
        .finish();
    let layer = env.layer(original.clone());
    let diff = write_layer(&layer, &[], UpperKind::Overlay, Vec::new()).unwrap();
    let mut want = entries(&original);
    let mut got = entries(&diff);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        xattr_of(&diff, "cap", "user.berth").as_deref(),
        Some(&b"1"[..])
    );
    // And unpacking the diff gives the same directory.
    let again = env.layer(diff);
    assert_eq!(tree(&again), tree(&layer));
    assert!(crate::fsutil::is_opaque(&again.join("var")).unwrap());
}

fn expected_changes() -> Vec<String> {
    [
        "C /etc",
        "D /etc/passwd",
        "C /keep",
        "A /new",
        "A /newdir",
        "A /newdir/sub",
        "A /newdir/sub/f",
        "C /var",
        "D /var/c",
        "A /var/d",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn modify(root: &Path) {
    std::fs::write(root.join("new"), b"n").unwrap();
    std::fs::write(root.join("keep"), b"22").unwrap();
    std::fs::remove_file(root.join("etc/passwd")).unwrap();
    std::fs::remove_dir_all(root.join("var")).unwrap();
    std::fs::create_dir(root.join("var")).unwrap();
    std::fs::write(root.join("var/d"), b"d").unwrap();
    std::fs::create_dir_all(root.join("newdir/sub")).unwrap();
    std::fs::write(root.join("newdir/sub/f"), b"f").unwrap();
}

#[test]
fn container_changes_round_trip_through_a_new_layer() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let parents = two_layers(&mut env);
        let sn = make(env.tmp.path());
        let mounts = sn.prepare("c1", &parents).unwrap();
        let target = env.target("merged");
        let m = mount(&mounts[0], &target);
        modify(&target);
        let seen = tree(&target);
        drop(m);

        let changes: Vec<String> = snapshot_changes(sn.as_ref(), "c1")
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(changes, expected_changes(), "{name}");

        let diff = snapshot_layer(sn.as_ref(), "c1", Vec::new()).unwrap();
        let names: Vec<String> = entries(&diff).into_iter().map(|(p, _)| p).collect();
        assert!(
            names.contains(&"etc/.wh.passwd".to_string()),
            "{name}: {names:?}"
        );
        assert!(
            names.contains(&"new".to_string()) && names.contains(&"newdir/sub/f".to_string()),
            "{name}: {names:?}"
        );
        if name == "overlay" {
            assert!(
                names.contains(&"var/.wh..wh..opq".to_string()),
                "{name}: {names:?}"
            );
        } else {
            assert!(
                names.contains(&"var/.wh.c".to_string()),
                "{name}: {names:?}"
            );
        }
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("var/c") || n == "etc/hosts" || n == "etc/.wh.hosts"),
            "{name}: {names:?}"
        );

        // The diff applied as a third layer reproduces what the container saw.
        let l3 = env.layer(diff);
        let mut all: Vec<PathBuf> = parents.clone();
        all.push(l3);
        let mounts = sn.view("check", &all).unwrap();
        let target2 = env.target("check");
        let m2 = mount(&mounts[0], &target2);
        assert_eq!(tree(&target2), seen, "{name}");
        drop(m2);
        sn.remove("check").unwrap();
        sn.remove("c1").unwrap();
    }
}

#[test]
fn unchanged_snapshot_has_no_changes() {
    for (name, make) in drivers() {
        let mut env = Env::new();
        let parents = two_layers(&mut env);
        let sn = make(env.tmp.path());
        sn.prepare("c1", &parents).unwrap();
        assert_eq!(
            snapshot_changes(sn.as_ref(), "c1").unwrap(),
            vec![],
            "{name}"
        );
        let diff = snapshot_layer(sn.as_ref(), "c1", Vec::new()).unwrap();
        assert!(entries(&diff).is_empty(), "{name}");
        // An empty tar still ends with its two zero blocks.
        assert!(diff.len() >= 1024 && diff.iter().all(|b| *b == 0));
        let mut r = &diff[..];
        let mut buf = Vec::new();
        r.read_to_end(&mut buf).unwrap();
        let _ = unpack_layer(
            &buf[..],
            &env.tmp.path().join("layers/empty"),
            &UnpackOptions {
                sync: false,
                ..Default::default()
            },
        )
        .unwrap();
    }
}

#[test]
fn export_writes_every_object() {
    let mut env = Env::new();
    let layer = env.layer(
        RawTar::new()
            .dir("a/", 0o755)
            .file("a/b", b"b")
            .symlink("a/c", "b")
            .file("top", b"t")
            .finish(),
    );
    let tar = export_tree(&layer, Vec::new()).unwrap();
    let names: Vec<String> = entries(&tar).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["a", "a/b", "a/c", "top"]);
    let again = env.layer(tar);
    assert_eq!(tree(&again), tree(&layer));
}
