//! The confinement of `cp` below a root fd, on plain directories: hostile symlinks and
//! `..` in the root or in an archive never reach the directory outside it.

use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::extract::{Extractor, Owner};
use super::resolve::{self, Located};
use super::stream::{self, Entry, Kind, Sink, TarSink};
use super::walk::Walker;

fn root_and_outside() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    let outside = t.path().join("outside");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"host secret").unwrap();
    std::os::unix::fs::symlink("/", root.join("escape")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("x")).unwrap();
    std::os::unix::fs::symlink("../../../../../..", root.join("up")).unwrap();
    (t, root, outside)
}

fn open(p: &Path) -> std::os::fd::OwnedFd {
    resolve::open_dir(
        rustix::fs::open("/", rustix::fs::OFlags::PATH, rustix::fs::Mode::empty()).unwrap(),
        &resolve::clean(p),
    )
    .unwrap()
}

fn file(path: &str) -> Entry {
    Entry {
        path: path.into(),
        kind: Kind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        size: 3,
        major: 0,
        minor: 0,
    }
}

#[test]
fn writes_through_hostile_symlinks_stay_in_the_root() {
    let (_t, root, outside) = root_and_outside();
    let fd = open(&root);
    let outside_rel = resolve::clean(&outside);
    for (dir, name) in [
        (PathBuf::from("x"), "secret"),
        (PathBuf::from("escape").join(&outside_rel), "secret"),
        (PathBuf::from("up").join(&outside_rel), "secret"),
        (PathBuf::from("etc"), "../../x/secret2"),
    ] {
        let mut ex = Extractor::new(fd.as_fd(), dir.clone(), Owner::Caller);
        let r = ex.put(&file(name), Some(&mut &b"pwn"[..]));
        // Either refused or written inside the root; never outside.
        if let Err(e) = &r {
            assert!(!e.to_string().is_empty());
        }
    }
    assert_eq!(
        std::fs::read(outside.join("secret")).unwrap(),
        b"host secret"
    );
    assert!(!outside.join("secret2").exists());
    // The symlinks were followed as if the root were '/': the files landed inside it.
    assert_eq!(
        std::fs::read(root.join(&outside_rel).join("secret")).unwrap(),
        b"pwn"
    );
}

#[test]
fn archive_entries_cannot_climb_out() {
    let (_t, root, outside) = root_and_outside();
    let fd = open(&root);
    let mut ex = Extractor::new(fd.as_fd(), PathBuf::from("etc"), Owner::Caller);
    assert!(ex
        .put(&file("../../../outside/secret"), Some(&mut &b"pwn"[..]))
        .is_err());
    // A symlink entry, then a file through it: contained too.
    let mut link = file("l");
    link.kind = Kind::Symlink(outside.clone());
    ex.put(&link, None).unwrap();
    let _ = ex.put(&file("l/secret"), Some(&mut &b"pwn"[..]));
    assert_eq!(
        std::fs::read(outside.join("secret")).unwrap(),
        b"host secret"
    );
}

#[test]
fn reads_through_hostile_symlinks_stay_in_the_root() {
    let (_t, root, outside) = root_and_outside();
    let fd = open(&root);
    assert!(resolve::locate(fd.as_fd(), "/x/secret", false).is_err());
    let p = format!("/escape{}/secret", outside.display());
    assert!(resolve::locate(fd.as_fd(), &p, false).is_err());
    // -L on a symlink to a host path resolves inside the root: not there.
    assert!(resolve::locate(fd.as_fd(), "/x", true).is_err());
    // Copying the symlink itself copies a symlink, not its target.
    let loc = resolve::locate(fd.as_fd(), "/x", false).unwrap();
    let mut sink = TarSink::new(Vec::new());
    let Located::Entry { parent, name } = loc else {
        panic!("expected an entry")
    };
    Walker::new(&mut sink)
        .entry_at(parent.as_fd(), &name, Path::new("x"))
        .unwrap();
    let tar = sink.finish().unwrap();
    assert!(!tar.windows(11).any(|w| w == b"host secret"));
}

#[test]
fn a_tree_round_trips_through_a_tar() {
    let (_t, root, _outside) = root_and_outside();
    std::fs::create_dir_all(root.join("d/sub")).unwrap();
    std::fs::write(root.join("d/sub/f"), b"abc").unwrap();
    std::fs::hard_link(root.join("d/sub/f"), root.join("d/h")).unwrap();
    let fd = open(&root);
    let Located::Entry { parent, name } = resolve::locate(fd.as_fd(), "/d", false).unwrap() else {
        panic!("expected an entry")
    };
    let mut sink = TarSink::new(Vec::new());
    let mut w = Walker::new(&mut sink);
    w.entry_at(parent.as_fd(), &name, Path::new("copy"))
        .unwrap();
    assert_eq!(w.moved, 3);
    let tar = sink.finish().unwrap();
    let mut ex = Extractor::new(fd.as_fd(), PathBuf::from("etc"), Owner::Caller);
    stream::from_tar(&tar[..], &mut ex).unwrap();
    ex.finish().unwrap();
    let mut s = String::new();
    std::fs::File::open(root.join("etc/copy/sub/f"))
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    assert_eq!(s, "abc");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(root.join("etc/copy/h")).unwrap().ino(),
        std::fs::metadata(root.join("etc/copy/sub/f"))
            .unwrap()
            .ino()
    );
}
