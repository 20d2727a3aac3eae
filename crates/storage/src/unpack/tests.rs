//! Unpack tests: features, whiteouts, compression, limits, interruption and hostile layers.

use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tar::EntryType;

use super::*;
use crate::testutil::{tree, Node, RawTar};

/// A scratch area: `layers/` to unpack into and `outside/` a sentinel that must stay as made.
struct Scratch {
    _tmp: tempfile::TempDir,
    layers: PathBuf,
    outside: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let layers = tmp.path().join("layers");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&layers).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("victim"), b"original").unwrap();
        Scratch {
            _tmp: tmp,
            layers,
            outside,
        }
    }

    fn dest(&self) -> PathBuf {
        self.layers.join("layer1")
    }

    fn unpack(&self, data: &[u8]) -> Result<UnpackStats> {
        unpack_layer(
            data,
            &self.dest(),
            &UnpackOptions {
                layer: "sha256:test".into(),
                sync: false,
                ..Default::default()
            },
        )
    }

    /// The sentinel holds exactly its victim file, unchanged, and nothing else was made.
    fn assert_outside_untouched(&self) {
        let t = tree(&self.outside);
        assert_eq!(t.len(), 1, "outside dir changed: {t:?}");
        assert_eq!(
            std::fs::read(self.outside.join("victim")).unwrap(),
            b"original"
        );
        let parent = tree(self.outside.parent().unwrap());
        for k in parent.keys() {
            assert!(
                k.starts_with("layers") || k.starts_with("outside"),
                "stray file {k}"
            );
        }
    }

    /// No finished layer and no temporary directory remain.
    fn assert_nothing_unpacked(&self) {
        assert!(!self.dest().exists());
        assert_eq!(
            std::fs::read_dir(&self.layers).unwrap().count(),
            0,
            "leftovers in layers dir"
        );
    }
}

fn abs(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn unpacks_files_dirs_links_devices_and_metadata() {
    let s = Scratch::new();
    let tar = RawTar::new()
        .dir("./", 0o755)
        .dir("etc/", 0o750)
        .file_owned("etc/passwd", b"root:x:0:0", 0o644, 0, 0)
        .file_owned("bin/su", b"elf", 0o4755, 1234, 5678)
        .hardlink("bin/su2", "bin/su")
        .symlink("bin/sh", "/bin/busybox")
        .symlink("escape", "../../../../etc/shadow")
        .device("dev/null", EntryType::Char, 1, 3)
        .device("dev/fifo", EntryType::Fifo, 0, 0)
        .file_with_xattrs(
            "caps",
            b"x",
            &[
                ("user.berth", b"yes"),
                ("trusted.overlay.redirect", b"/etc"),
            ],
        )
        .finish();
    let stats = s.unpack(&tar).unwrap();
    assert_eq!(stats.compression, Compression::None);
    assert_eq!(stats.entries, 10);
    let d = s.dest();

    let su = std::fs::symlink_metadata(d.join("bin/su")).unwrap();
    assert_eq!(su.mode() & 0o7777, 0o4755, "setuid kept");
    assert_eq!((su.uid(), su.gid()), (1234, 5678));
    assert_eq!(su.mtime(), 1_600_000_000);
    assert_eq!(su.nlink(), 2);
    assert_eq!(
        su.ino(),
        std::fs::symlink_metadata(d.join("bin/su2")).unwrap().ino()
    );
    assert_eq!(
        std::fs::read_link(d.join("bin/sh")).unwrap(),
        Path::new("/bin/busybox")
    );
    assert_eq!(
        std::fs::read_link(d.join("escape")).unwrap(),
        Path::new("../../../../etc/shadow")
    );
    let etc = std::fs::metadata(d.join("etc")).unwrap();
    assert_eq!(etc.mode() & 0o7777, 0o750);
    assert_eq!(
        etc.mtime(),
        1_600_000_000,
        "directory mtime set after its children"
    );
    let null = std::fs::symlink_metadata(d.join("dev/null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), rustix::fs::makedev(1, 3));
    assert_eq!(null.mode() & 0o7777, 0o640);
    assert!(std::fs::symlink_metadata(d.join("dev/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());

    let mut buf = [0u8; 64];
    let n = rustix::fs::lgetxattr(d.join("caps"), "user.berth", &mut buf[..]).unwrap();
    assert_eq!(&buf[..n], b"yes");
    assert!(
        rustix::fs::lgetxattr(d.join("caps"), "trusted.overlay.redirect", &mut buf[..]).is_err(),
        "overlay xattrs from a layer are dropped"
    );
    s.assert_outside_untouched();
}

#[test]
fn whiteouts_become_overlay_whiteouts() {
    let s = Scratch::new();
    let tar = RawTar::new()
        .file("etc/.wh.hosts", b"")
        .dir("var/", 0o755)
        .file("var/.wh..wh..opq", b"")
        .file("var/new", b"n")
        .file(".wh..wh.plnk", b"")
        .finish();
    s.unpack(&tar).unwrap();
    let d = s.dest();
    let wh = std::fs::symlink_metadata(d.join("etc/hosts")).unwrap();
    assert!(wh.file_type().is_char_device());
    assert_eq!(wh.rdev(), 0);
    assert!(!d.join("etc/.wh.hosts").exists());
    let mut buf = [0u8; 8];
    let n = rustix::fs::lgetxattr(d.join("var"), "trusted.overlay.opaque", &mut buf[..]).unwrap();
    assert_eq!(&buf[..n], b"y");
    assert!(!d.join("var/.wh..wh..opq").exists());
    assert!(!d.join(".wh..wh.plnk").exists());
    assert_eq!(tree(&d).len(), 4); // etc, etc/hosts, var, var/new
}

#[test]
fn a_directory_listed_twice_keeps_the_last_metadata() {
    let s = Scratch::new();
    s.unpack(
        &RawTar::new()
            .dir("d/", 0o700)
            .file("d/f", b"")
            .dir("d/", 0o751)
            .finish(),
    )
    .unwrap();
    let md = std::fs::metadata(s.dest().join("d")).unwrap();
    assert_eq!(md.mode() & 0o7777, 0o751);
    assert!(
        s.dest().join("d/f").exists(),
        "an existing directory is kept, not replaced"
    );
}

fn sample_tree_tar() -> Vec<u8> {
    RawTar::new()
        .dir("a/", 0o755)
        .file("a/b", &b"0123456789".repeat(1000))
        .symlink("a/c", "b")
        .finish()
}

#[test]
fn gzip_and_zstd_layers_unpack_the_same() {
    let plain = sample_tree_tar();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let zs = zstd::encode_all(&plain[..], 3).unwrap();

    let mut trees = Vec::new();
    for (data, want) in [
        (&plain, Compression::None),
        (&gz, Compression::Gzip),
        (&zs, Compression::Zstd),
    ] {
        let s = Scratch::new();
        let stats = s.unpack(data).unwrap();
        assert_eq!(stats.compression, want);
        assert_eq!(stats.bytes, 10_000);
        trees.push(tree(&s.dest()));
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
    assert_eq!(trees[0]["a/c"], Node::Symlink("b".into()));
}

/// Yields `data` up to `fail_at` bytes, then an I/O error (a dropped download).
struct Failing {
    data: Vec<u8>,
    pos: usize,
    fail_at: usize,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.fail_at {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset",
            ));
        }
        let n = buf
            .len()
            .min(self.fail_at - self.pos)
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn interrupted_unpack_leaves_no_finished_layer() {
    let s = Scratch::new();
    let data = sample_tree_tar();
    for fail_at in [0, 600, 5000, data.len() - 1] {
        let r = Failing {
            data: data.clone(),
            pos: 0,
            fail_at,
        };
        let err = unpack_layer(
            r,
            &s.dest(),
            &UnpackOptions {
                sync: false,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, StorageError::ReadArchive { .. }),
            "{fail_at}: {err}"
        );
        s.assert_nothing_unpacked();
    }
    // A gzip stream cut short fails the same way.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let err = s.unpack(&gz[..gz.len() / 2]).unwrap_err();
    assert!(matches!(err, StorageError::ReadArchive { .. }), "{err}");
    s.assert_nothing_unpacked();
    // Bytes that are not a tar at all.
    let err = s
        .unpack(&b"this is not a tar archive, just text. ".repeat(40))
        .unwrap_err();
    assert!(matches!(err, StorageError::ReadArchive { .. }), "{err}");
    s.assert_nothing_unpacked();
    // A process killed mid-unpack leaves only a *.tmp-* directory, which is cleaned up.
    std::fs::create_dir_all(s.layers.join("layer1.tmp-0123/a")).unwrap();
    assert!(!s.dest().exists());
    assert_eq!(remove_interrupted(&s.layers).unwrap().len(), 1);
    s.assert_nothing_unpacked();
}

#[test]
fn existing_layer_is_not_overwritten() {
    let s = Scratch::new();
    s.unpack(&sample_tree_tar()).unwrap();
    let err = s.unpack(&sample_tree_tar()).unwrap_err();
    assert!(matches!(err, StorageError::LayerExists { .. }), "{err}");
    assert_eq!(std::fs::read_dir(&s.layers).unwrap().count(), 1);
}

#[test]
fn limits_stop_bombs() {
    let s = Scratch::new();
    let mut t = RawTar::new();
    for i in 0..20 {
        t.file(&format!("f{i}"), b"");
    }
    let err = unpack_layer(
        &t.finish()[..],
        &s.dest(),
        &UnpackOptions {
            max_entries: 10,
            sync: false,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, StorageError::TooManyEntries { limit: 10, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("max_entries"));
    s.assert_nothing_unpacked();

    // 64 MiB of zeros in a small gzip stream, against a 1 MiB cap.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    {
        let mut b = tar::Builder::new(&mut gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(64 << 20);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, "bomb", io::repeat(0).take(64 << 20))
            .unwrap();
        b.finish().unwrap();
    }
    let gz = gz.finish().unwrap();
    assert!(gz.len() < (1 << 20));
    let err = unpack_layer(
        &gz[..],
        &s.dest(),
        &UnpackOptions {
            max_bytes: 1 << 20,
            sync: false,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, StorageError::TooManyBytes { .. }), "{err}");
    assert!(err.to_string().contains("bomb"), "names the entry: {err}");
    s.assert_nothing_unpacked();
}

#[test]
fn huge_extension_headers_are_refused_without_buffering_them() {
    let s = Scratch::new();
    // A GNU long-name record claiming 8 GiB, gzipped: a few MB of input, 8 GiB of memory if
    // buffered whole.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(EntryType::GNULongName);
    h.set_size(8 << 30);
    h.set_cksum();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(h.as_bytes()).unwrap();
    io::copy(&mut io::repeat(b'a').take(4 << 20), &mut gz).unwrap();
    let gz = gz.finish().unwrap();
    let err = s.unpack(&gz).unwrap_err();
    assert!(matches!(err, StorageError::ReadArchive { .. }), "{err}");
    let chain = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(chain.contains("exceeds"), "{chain}");
    s.assert_nothing_unpacked();
}

/// Each hostile layer must fail (or be contained) and write nothing outside.
#[test]
fn hostile_layers_are_refused_and_nothing_escapes() {
    type Check = fn(&StorageError) -> bool;
    let escapes: Check = |e| matches!(e, StorageError::PathEscapes { .. });
    let through: Check = |e| matches!(e, StorageError::ThroughSymlink { .. });
    let link: Check = |e| matches!(e, StorageError::LinkEscapes { .. });

    type Make = Box<dyn Fn(&Scratch) -> Vec<u8>>;
    let cases: Vec<(&str, Make, Check)> = vec![
        (
            "dotdot file",
            Box::new(|_| RawTar::new().file("../outside/evil", b"x").finish()),
            escapes,
        ),
        (
            "deep dotdot",
            Box::new(|_| {
                RawTar::new()
                    .file("a/../../outside/victim", b"pwned")
                    .finish()
            }),
            escapes,
        ),
        (
            "bare dotdot dir",
            Box::new(|_| RawTar::new().dir("..", 0o777).finish()),
            escapes,
        ),
        (
            "symlink then file through it",
            Box::new(|s| {
                RawTar::new()
                    .symlink("link", &abs(&s.outside))
                    .file("link/evil", b"x")
                    .finish()
            }),
            through,
        ),
        (
            "relative symlink then file through it",
            Box::new(|_| {
                RawTar::new()
                    .symlink("link", "../../outside")
                    .file("link/victim", b"pwned")
                    .finish()
            }),
            through,
        ),
        (
            "symlink then dir then file",
            Box::new(|s| {
                RawTar::new()
                    .symlink("d", &abs(&s.outside))
                    .file("d/sub/evil", b"x")
                    .finish()
            }),
            through,
        ),
        (
            "hard link out by dotdot",
            Box::new(|_| RawTar::new().hardlink("h", "../outside/victim").finish()),
            link,
        ),
        (
            "hard link to absolute host path",
            Box::new(|s| {
                RawTar::new()
                    .hardlink("h", &format!("{}/victim", abs(&s.outside)))
                    .finish()
            }),
            link,
        ),
        (
            "hard link through symlink",
            Box::new(|s| {
                RawTar::new()
                    .symlink("l", &abs(&s.outside))
                    .hardlink("h", "l/victim")
                    .finish()
            }),
            link,
        ),
        (
            "whiteout through symlink",
            Box::new(|s| {
                RawTar::new()
                    .symlink("l", &abs(&s.outside))
                    .file("l/.wh.victim", b"")
                    .finish()
            }),
            through,
        ),
        (
            "opaque through symlink",
            Box::new(|s| {
                RawTar::new()
                    .symlink("l", &abs(&s.outside))
                    .file("l/.wh..wh..opq", b"")
                    .finish()
            }),
            through,
        ),
        (
            "PAX path with dotdot",
            Box::new(|_| {
                RawTar::new()
                    .file_pax_path("../outside/victim", b"pwned")
                    .finish()
            }),
            escapes,
        ),
        (
            "PAX long path with dotdot",
            Box::new(|_| {
                let long = format!(
                    "{}/{}../../outside/victim",
                    "a/".repeat(60),
                    "../".repeat(60)
                );
                RawTar::new().file_pax_path(&long, b"pwned").finish()
            }),
            escapes,
        ),
        (
            "PAX linkpath out",
            Box::new(|_| {
                RawTar::new()
                    .file("benign", b"")
                    .hardlink_pax("h", "../outside/victim")
                    .finish()
            }),
            link,
        ),
        (
            "file under a file",
            Box::new(|_| RawTar::new().file("f", b"").file("f/x", b"").finish()),
            through,
        ),
        (
            "hard link to a directory",
            Box::new(|_| RawTar::new().dir("d/", 0o755).hardlink("h", "d").finish()),
            link,
        ),
        (
            "whiteout of dotdot",
            Box::new(|_| RawTar::new().file(".wh..", b"").finish()),
            escapes,
        ),
        (
            "device under symlink",
            Box::new(|s| {
                let mut t = RawTar::new();
                t.symlink("l", &abs(&s.outside));
                t.device("l/null", EntryType::Char, 1, 3);
                t.finish()
            }),
            through,
        ),
    ];
    for (name, make, check) in cases {
        let s = Scratch::new();
        let data = make(&s);
        let err = s.unpack(&data).expect_err(name);
        assert!(check(&err), "{name}: unexpected error {err}");
        assert!(
            err.to_string().contains("sha256:test"),
            "{name}: error names the layer: {err}"
        );
        s.assert_outside_untouched();
        s.assert_nothing_unpacked();
    }
}

/// Hostile layers that are legal but must stay inside the layer.
#[test]
fn hostile_layers_that_are_contained() {
    let s = Scratch::new();
    let out = abs(&s.outside);
    let tar = RawTar::new()
        // Absolute names land inside the layer.
        .file(&format!("{out}/evil"), b"x")
        .file(&format!("{out}/victim"), b"pwned")
        // A symlink pointing out, then a regular file of the same name: the symlink is
        // replaced, not written through.
        .symlink("s", &format!("{out}/victim"))
        .file("s", b"pwned")
        // A symlink to a directory outside, then a directory of the same name and a file in it.
        .symlink("d", &out)
        .dir("d/", 0o755)
        .file("d/victim", b"pwned")
        // A hard link to a symlink that points out links the symlink, not its target.
        .symlink("s2", &format!("{out}/victim"))
        .hardlink("h", "s2")
        .finish();
    s.unpack(&tar).unwrap();
    s.assert_outside_untouched();
    let d = s.dest();
    let inside = d.join(out.trim_start_matches('/'));
    assert_eq!(std::fs::read(inside.join("victim")).unwrap(), b"pwned");
    assert_eq!(std::fs::read(d.join("s")).unwrap(), b"pwned");
    assert!(std::fs::symlink_metadata(d.join("d")).unwrap().is_dir());
    assert!(std::fs::symlink_metadata(d.join("h"))
        .unwrap()
        .file_type()
        .is_symlink());
}
