//! Volumes and bind mounts: data that outlives containers.

use super::*;

#[test]
fn named_volume_keeps_data_across_containers() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run",
        "--rm",
        "-v",
        "data:/data",
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/f",
    ]);
    assert_eq!(
        b.ok(&[
            "run",
            "--rm",
            "-v",
            "data:/data:ro",
            "busybox",
            "cat",
            "/data/f"
        ]),
        "kept\n"
    );
    assert_ne!(
        code(&b.run(&[
            "run",
            "--rm",
            "-v",
            "data:/data:ro",
            "busybox",
            "touch",
            "/data/g"
        ])),
        0
    );
    let ls = b.ok(&["volume", "ls"]);
    assert!(
        ls.starts_with("DRIVER") && ls.contains("local") && ls.contains("data"),
        "{ls}"
    );
    // In use: refused; unused: removed.
    b.ok(&[
        "create",
        "--name",
        "holder",
        "-v",
        "data:/data",
        "busybox",
        "true",
    ]);
    let busy = b.run(&["volume", "rm", "data"]);
    assert_eq!(code(&busy), 1);
    assert!(
        stderr(&busy).contains("volume is in use"),
        "{}",
        stderr(&busy)
    );
    b.ok(&["rm", "holder"]);
    assert_eq!(b.ok(&["volume", "rm", "data"]), "data\n");
    assert_eq!(b.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn bind_mounts_and_anonymous_volumes() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("in"), "from host\n").unwrap();
    let spec = format!("{}:/mnt", host.path().display());
    b.ok(&[
        "run",
        "--rm",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "cat /mnt/in; echo back > /mnt/out",
    ]);
    assert_eq!(
        std::fs::read_to_string(host.path().join("out")).unwrap(),
        "back\n"
    );
    // An anonymous volume goes with `rm -v` (and with --rm).
    b.ok(&[
        "run",
        "--name",
        "anon",
        "-v",
        "/scratch",
        "busybox",
        "touch",
        "/scratch/x",
    ]);
    assert_eq!(b.ok(&["volume", "ls", "-q"]).lines().count(), 1);
    b.ok(&["rm", "-v", "anon"]);
    assert_eq!(b.ok(&["volume", "ls", "-q"]), "");
    b.ok(&["run", "--rm", "-v", "/scratch", "busybox", "true"]);
    assert_eq!(b.ok(&["volume", "ls", "-q"]), "");
    // A --mount bind of a missing source is refused; nothing is left behind.
    let bad = b.run(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,source=/no/such/dir,target=/x",
        "busybox",
        "true",
    ]);
    assert_eq!(code(&bad), 125, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("/no/such/dir"), "{}", stderr(&bad));
    assert_eq!(b.ok(&["ps", "-aq"]), "");
}

#[test]
fn an_image_in_use_is_never_deleted() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["create", "--name", "user", "busybox", "true"]);
    let rmi = b.run(&["rmi", "busybox"]);
    assert_eq!(code(&rmi), 1);
    assert!(
        stderr(&rmi).contains("is using its referenced image"),
        "{}",
        stderr(&rmi)
    );
    b.ok(&["image", "prune", "-a", "-f"]);
    // Forced: the name goes, the image and its layers stay for the container.
    b.ok(&["rmi", "-f", "busybox"]);
    b.ok(&["start", "-a", "user"]);
    assert_eq!(b.inspect("user", "{{.State.ExitCode}}"), "0");
    b.ok(&["rm", "user"]);
    b.ok(&["image", "prune", "-a", "-f"]);
    assert_eq!(b.ok(&["images", "-aq"]), "");
}

#[test]
fn a_new_volume_starts_with_the_image_content_unless_nocopy() {
    if skip() {
        return;
    }
    let b = Berth::new();
    // The image has /bin full of busybox links: a new volume there starts with them.
    b.ok(&["run", "--rm", "-v", "tools:/bin", "busybox", "true"]);
    let listed = b.ok(&["run", "--rm", "-v", "tools:/t", "busybox", "ls", "/t"]);
    assert!(listed.lines().any(|l| l == "sh"), "{listed}");
    // A volume that already has data is left as it is.
    b.ok(&[
        "run", "--rm", "-v", "kept:/d", "busybox", "touch", "/d/mine",
    ]);
    b.ok(&["run", "--rm", "-v", "kept:/usr", "busybox", "true"]);
    assert_eq!(
        b.ok(&["run", "--rm", "-v", "kept:/d", "busybox", "ls", "/d"]),
        "mine\n"
    );
    // nocopy: empty.
    b.ok(&["run", "--rm", "-v", "bare:/usr:nocopy", "busybox", "true"]);
    assert_eq!(
        b.ok(&["run", "--rm", "-v", "bare:/d", "busybox", "ls", "-A", "/d"]),
        ""
    );
}
