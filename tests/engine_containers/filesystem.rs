//! The container filesystem verbs: `cp` (both ways, running and stopped, `-` tar streams,
//! `-a`, hostile symlinks), `diff`, `commit`, `export`.

use std::io::Write;
use std::os::unix::fs::MetadataExt;

use super::*;

/// A host directory outside every container, with a file a hostile container would like
/// to read or overwrite.
fn outside() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::Builder::new()
        .prefix("berth-outside-")
        .tempdir()
        .unwrap();
    let p = t.path().to_path_buf();
    std::fs::write(p.join("secret"), "host secret\n").unwrap();
    (t, p)
}

fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

/// The entry names of the last layer of a `save` archive.
fn top_layer_names(archive: &[u8]) -> Vec<String> {
    let mut files = std::collections::HashMap::new();
    let mut a = tar::Archive::new(archive);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut v).unwrap();
        files.insert(p, v);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let last = manifest[0]["Layers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap();
    tar_names(&files[last])
}

fn sleeper(b: &Berth, name: &str, setup: &str) {
    b.ok(&[
        "run",
        "-d",
        "--name",
        name,
        "busybox",
        "sh",
        "-c",
        &format!("{setup}; touch /ready; exec sleep 1000"),
    ]);
    b.until(10, "container ready", |b| {
        code(&b.run(&["exec", name, "test", "-e", "/ready"])) == 0
    });
}

#[test]
fn cp_both_ways_on_stopped_and_running_containers() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let host = tempfile::tempdir().unwrap();
    let h = host.path();
    std::fs::write(h.join("f.txt"), "file one\n").unwrap();
    std::fs::create_dir_all(h.join("dir/sub")).unwrap();
    std::fs::write(h.join("dir/sub/g"), "gee\n").unwrap();
    let hs = |p: &str| h.join(p).display().to_string();

    // Stopped (created) container: into it, then out of it.
    b.ok(&["create", "--name", "ct", "busybox", "sleep", "1000"]);
    b.ok(&["cp", &hs("f.txt"), "ct:/f.txt"]);
    b.ok(&["cp", &hs("dir"), "ct:/tmp"]); // an existing directory: copied inside it
    b.ok(&["cp", &hs("dir"), "ct:/newdir"]); // missing: created with the contents
    b.ok(&["cp", &hs("dir/."), "ct:/etc"]); // '/.': only the contents
    b.ok(&["container", "cp", "ct:/f.txt", &hs("back.txt")]);
    assert_eq!(
        std::fs::read_to_string(h.join("back.txt")).unwrap(),
        "file one\n"
    );
    b.ok(&["cp", "ct:/tmp/dir", &hs("out")]);
    assert_eq!(
        std::fs::read_to_string(h.join("out/sub/g")).unwrap(),
        "gee\n"
    );
    std::fs::create_dir(h.join("into")).unwrap();
    b.ok(&["cp", "ct:/etc/passwd", &hs("into")]);
    assert!(h.join("into/passwd").is_file());

    // Running: the same files are there, and copies go both ways while it runs.
    b.ok(&["start", "ct"]);
    assert_eq!(b.ok(&["exec", "ct", "cat", "/f.txt"]), "file one\n");
    assert_eq!(b.ok(&["exec", "ct", "cat", "/tmp/dir/sub/g"]), "gee\n");
    assert_eq!(b.ok(&["exec", "ct", "cat", "/newdir/sub/g"]), "gee\n");
    assert_eq!(b.ok(&["exec", "ct", "cat", "/etc/sub/g"]), "gee\n");
    b.ok(&["exec", "ct", "sh", "-c", "echo made inside > /made"]);
    b.ok(&["cp", "ct:/made", &hs("made")]);
    assert_eq!(
        std::fs::read_to_string(h.join("made")).unwrap(),
        "made inside\n"
    );
    std::fs::write(h.join("f.txt"), "file two\n").unwrap();
    b.ok(&["cp", &hs("f.txt"), "ct:/f.txt"]); // an existing file is overwritten
    assert_eq!(b.ok(&["exec", "ct", "cat", "/f.txt"]), "file two\n");
    // Into a volume of the running container.
    b.ok(&[
        "run",
        "-d",
        "--name",
        "vv",
        "-v",
        "vol:/data",
        "busybox",
        "sleep",
        "1000",
    ]);
    b.ok(&["cp", &hs("f.txt"), "vv:/data/"]);
    assert_eq!(b.ok(&["exec", "vv", "cat", "/data/f.txt"]), "file two\n");
    // And a stopped container sees its volume too.
    b.ok(&["stop", "-t", "0", "vv"]);
    b.ok(&["cp", "vv:/data/f.txt", &hs("from-volume")]);
    assert_eq!(
        std::fs::read_to_string(h.join("from-volume")).unwrap(),
        "file two\n"
    );
}

#[test]
fn cp_owner_is_root_unless_archive_mode() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let host = tempfile::tempdir().unwrap();
    let f = host.path().join("owned");
    std::fs::write(&f, "x").unwrap();
    std::os::unix::fs::chown(&f, Some(1234), Some(4321)).unwrap();
    let fs = f.display().to_string();
    sleeper(&b, "ct", "true");
    b.ok(&["cp", &fs, "ct:/plain"]);
    b.ok(&["cp", "-a", &fs, "ct:/archived"]);
    assert_eq!(
        b.ok(&["exec", "ct", "stat", "-c", "%u:%g", "/plain"]),
        "0:0\n"
    );
    assert_eq!(
        b.ok(&["exec", "ct", "stat", "-c", "%u:%g", "/archived"]),
        "1234:4321\n"
    );
    // Out of the container, files belong to whoever ran cp (root here).
    b.ok(&["exec", "ct", "sh", "-c", "echo y > /o; chown 77:77 /o"]);
    let back = host.path().join("back");
    b.ok(&["cp", "ct:/o", &back.display().to_string()]);
    assert_eq!(std::fs::metadata(&back).unwrap().uid(), 0);
}

#[test]
fn cp_tar_streams_on_stdin_and_stdout() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["create", "--name", "ct", "busybox", "true"]);
    let out = b.run(&["cp", "ct:/etc/passwd", "-"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(tar_names(&out.stdout), vec!["passwd"]);
    let out = b.run(&["cp", "ct:/etc", "-"]);
    let names = tar_names(&out.stdout);
    assert!(
        names.contains(&"etc/".to_string()) || names.contains(&"etc".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"etc/passwd".to_string()), "{names:?}");

    // A tar on stdin is extracted into a directory.
    let mut tb = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_mode(0o640);
    tb.append_data(&mut h, "in/streamed", &b"piped\n"[..])
        .unwrap();
    let bytes = tb.into_inner().unwrap();
    let mut child = b
        .cmd()
        .args(["cp", "-", "ct:/tmp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = b.run(&["cp", "ct:/tmp/in/streamed", "-"]);
    let mut a = tar::Archive::new(&out.stdout[..]);
    let mut e = a.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(e.header().mode().unwrap(), 0o640);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut e, &mut s).unwrap();
    assert_eq!(s, "piped\n");
    // '-' into something that is not a directory: Docker's client error.
    let bad = b
        .cmd()
        .args(["cp", "-", "ct:/etc/passwd"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&bad), 1);
    assert!(
        stderr(&bad).contains("must be a directory"),
        "{}",
        stderr(&bad)
    );
}

/// The container holds symlinks to the host's `/` and to the outside directory; cp in
/// either direction must treat them as the container would (inside its root).
fn hostile_symlinks_are_contained(running: bool) {
    let b = Berth::new();
    let (_keep, out) = outside();
    let o = out.display().to_string();
    let setup =
        format!("ln -s / /escape; ln -s {o} /x; ln -s ../../../../../../..{o} /up; mkdir -p {o}");
    if running {
        sleeper(&b, "evil", &setup);
    } else {
        b.ok(&["run", "--name", "evil", "busybox", "sh", "-c", &setup]);
    }
    let host = tempfile::tempdir().unwrap();
    let pwn = host.path().join("secret");
    std::fs::write(&pwn, "pwned\n").unwrap();
    let pwn = pwn.display().to_string();

    // Writes through the symlinks land in the container's own {o}, never on the host.
    for dest in [
        "evil:/x/secret".to_string(),
        format!("evil:/escape{o}/secret"),
        "evil:/up/secret".to_string(),
        "evil:/x/".to_string(),
    ] {
        let r = b.run(&["cp", &pwn, &dest]);
        assert_eq!(code(&r), 0, "cp to {dest}: {}", stderr(&r));
        assert_eq!(
            std::fs::read_to_string(out.join("secret")).unwrap(),
            "host secret\n",
            "cp to {dest} wrote outside the container"
        );
    }
    // A tar stream through the symlink: contained as well.
    let mut tb = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_mode(0o644);
    tb.append_data(&mut h, "secret", &b"pwned\n"[..]).unwrap();
    let bytes = tb.into_inner().unwrap();
    for dest in ["evil:/x".to_string(), format!("evil:/escape{o}")] {
        let mut child = b
            .cmd()
            .args(["cp", "-", &dest])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let r = child.wait_with_output().unwrap();
        assert_eq!(code(&r), 0, "cp - {dest}: {}", stderr(&r));
    }
    assert_eq!(
        std::fs::read_to_string(out.join("secret")).unwrap(),
        "host secret\n"
    );

    // Reads through the symlinks see the container's files, never the host's.
    for src in [
        "evil:/x/secret".to_string(),
        format!("evil:/escape{o}/secret"),
        "evil:/up/secret".to_string(),
    ] {
        let r = b.run(&["cp", &src, "-"]);
        assert_eq!(code(&r), 0, "cp from {src}: {}", stderr(&r));
        assert!(
            !String::from_utf8_lossy(&r.stdout).contains("host secret"),
            "cp from {src} read a host file"
        );
        assert!(
            String::from_utf8_lossy(&r.stdout).contains("pwned"),
            "cp from {src}"
        );
    }
    let r = b.run(&["cp", "-L", "evil:/x", "-"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(!String::from_utf8_lossy(&r.stdout).contains("host secret"));
    // A symlink copied out is a symlink, not the host file it names.
    let link = host.path().join("link");
    b.ok(&["cp", "evil:/x", &link.display().to_string()]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    // And the container really holds what was written.
    b.ok(&["start", "evil"]);
    if !running {
        // The first run exited; look with a fresh process in the same filesystem.
        let r = b.run(&["cp", &format!("evil:{o}/secret"), "-"]);
        assert!(
            String::from_utf8_lossy(&r.stdout).contains("pwned"),
            "code {:?}, {} bytes out: {}",
            r.status.code(),
            r.stdout.len(),
            stderr(&r)
        );
    } else {
        assert_eq!(
            b.ok(&["exec", "evil", "cat", &format!("{o}/secret")]),
            "pwned\n"
        );
    }
    assert_eq!(
        std::fs::read_to_string(out.join("secret")).unwrap(),
        "host secret\n"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("secret")],
        "files appeared outside the container"
    );
}

#[test]
fn cp_hostile_symlinks_contained_in_a_running_container() {
    if skip() {
        return;
    }
    hostile_symlinks_are_contained(true);
}

#[test]
fn cp_hostile_symlinks_contained_in_a_stopped_container() {
    if skip() {
        return;
    }
    hostile_symlinks_are_contained(false);
}

#[test]
fn cp_errors_are_dockers() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["create", "--name", "ct", "busybox", "true"]);
    let host = tempfile::tempdir().unwrap();
    let hs = host.path().display().to_string();

    let r = b.run(&["cp", "ct:/nope", &hs]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        "Error response from daemon: Could not find the file /nope in container ct\n"
    );
    let r = b.run(&["cp", "nosuch:/etc/passwd", &hs]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        "Error response from daemon: No such container: nosuch\n"
    );
    let r = b.run(&["cp", &hs, &hs]);
    assert_eq!(code(&r), 1);
    assert_eq!(stderr(&r), "must specify at least one container source\n");
    let r = b.run(&["cp", "ct:/etc", "ct:/tmp"]);
    assert_eq!(code(&r), 1);
    assert_eq!(stderr(&r), "copying between containers is not supported\n");
    // A directory onto an existing file; a file into a missing directory.
    let r = b.run(&["cp", &hs, "ct:/etc/passwd"]);
    assert_eq!(code(&r), 1);
    assert_eq!(stderr(&r), "cannot copy directory\n");
    let r = b.run(&["cp", "ct:/etc/passwd", &format!("{hs}/missing/")]);
    assert_eq!(code(&r), 1);
    assert_eq!(stderr(&r), "no such directory\n");
    let r = b.run(&["cp", &format!("{hs}/nope"), "ct:/tmp"]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        format!("lstat {hs}/nope: no such file or directory\n")
    );
    // Nothing was half-made on the host.
    assert_eq!(std::fs::read_dir(host.path()).unwrap().count(), 0);
}

#[test]
fn diff_lists_added_changed_deleted_sorted() {
    if skip() {
        return;
    }
    let b = Berth::new();
    sleeper(
        &b,
        "ct",
        "touch /tmp/a; rm /bin/ls; echo x >> /etc/passwd; mkdir -p /new/deep",
    );
    assert_eq!(
        b.ok(&["diff", "ct"]),
        "C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /new\nA /new/deep\nA /ready\nC /tmp\nA /tmp/a\n"
    );
    b.ok(&["container", "diff", "ct"]);
    let r = b.run(&["diff", "nosuch"]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        "Error response from daemon: No such container: nosuch\n"
    );
    // A fresh container has no changes.
    b.ok(&["create", "--name", "fresh", "busybox"]);
    assert_eq!(b.ok(&["diff", "fresh"]), "");
}

#[test]
fn commit_makes_an_image_that_runs() {
    if skip() {
        return;
    }
    let b = Berth::new();
    sleeper(&b, "ct", "echo committed > /hello; rm /bin/ls");
    let out = b.ok(&[
        "commit",
        "-a",
        "Ann <ann@example.com>",
        "-m",
        "my message",
        "-c",
        "CMD [\"cat\", \"/hello\"]",
        "-c",
        "ENV GREETING=hi",
        "ct",
        "mine:v1",
    ]);
    let id = out.trim();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");
    // Paused for the commit, running again after it.
    assert_eq!(b.inspect("ct", "{{.State.Status}}"), "running");
    assert_eq!(b.ok(&["run", "--rm", "mine:v1"]), "committed\n");
    assert_eq!(
        b.ok(&[
            "run",
            "--rm",
            "mine:v1",
            "sh",
            "-c",
            "echo $GREETING; test -e /bin/ls || echo gone"
        ]),
        "hi\ngone\n"
    );
    let images = b.ok(&["images"]);
    assert!(
        images
            .lines()
            .any(|l| l.starts_with("mine ") && l.contains("v1")),
        "{images}"
    );
    let history = b.ok(&["history", "mine:v1"]);
    assert!(
        history.lines().nth(1).unwrap().contains("my message"),
        "{history}"
    );
    // save works on it (its blobs are all there).
    let saved = b.run(&["save", "mine:v1"]);
    assert_eq!(code(&saved), 0, "{}", stderr(&saved));
    // Its new layer holds the container's changes, not the runtime's mountpoints.
    let names = top_layer_names(&saved.stdout);
    assert!(names.contains(&"hello".to_string()), "{names:?}");
    assert!(names.contains(&"bin/.wh.ls".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("etc")), "{names:?}");
    // Without a name, and from a stopped container, with --pause=false.
    b.ok(&["stop", "-t", "0", "ct"]);
    let anon = b.ok(&["container", "commit", "--pause=false", "ct"]);
    assert!(anon.trim().starts_with("sha256:"));
    let r = b.run(&["commit", "-c", "BOGUS x", "ct"]);
    assert_eq!(code(&r), 1);
    let r = b.run(&["commit", "nosuch"]);
    assert_eq!(code(&r), 1);
    assert_eq!(
        stderr(&r),
        "Error response from daemon: No such container: nosuch\n"
    );
}

#[test]
fn export_writes_the_root_filesystem() {
    if skip() {
        return;
    }
    let b = Berth::new();
    sleeper(&b, "ct", "echo exported > /hello; rm /bin/ls");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.tar");
    b.ok(&["export", "-o", &file.display().to_string(), "ct"]);
    let bytes = std::fs::read(&file).unwrap();
    let names = tar_names(&bytes);
    assert!(names.contains(&"hello".to_string()), "{names:?}");
    assert!(names.contains(&"bin/busybox".to_string()));
    assert!(!names.contains(&"bin/ls".to_string()));
    // The running container's /proc is not part of its filesystem.
    assert!(!names.iter().any(|n| n.starts_with("proc/")), "{names:?}");
    // To stdout when it is not a terminal, from a stopped container too.
    b.ok(&["stop", "-t", "0", "ct"]);
    let out = b.run(&["container", "export", "ct"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(tar_names(&out.stdout).contains(&"hello".to_string()));
    // A terminal on stdout is refused, like Docker.
    let tty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{} --root {} export ct",
            bin_dir().join("berth").display(),
            b.root().display()
        ))
        .arg("/dev/null")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(code(&tty), 0);
    assert!(
        stdout(&tty)
            .contains("cowardly refusing to save to a terminal. Use the -o flag or redirect"),
        "{}",
        stdout(&tty)
    );
    let r = b.run(&["export", "nosuch"]);
    assert_eq!(code(&r), 1);
}
