//! Images made here: import, images, inspect, prune, names and errors.

use super::*;

#[test]
fn import_busybox_then_images_and_inspect() {
    if not_root() {
        return;
    }
    let berth = Berth::new();
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let id = berth.ok(&[
        "import",
        "--change",
        r#"CMD ["/bin/sh"]"#,
        "-c",
        "ENV PATH=/bin",
        "-c",
        "WORKDIR /tmp",
        tar.to_str().unwrap(),
        "busybox",
    ]);
    let id = id.trim();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");

    let out = berth.ok(&["images"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"),
        "{out}"
    );
    assert!(lines[0].ends_with("SIZE"), "{out}");
    let cols: Vec<&str> = lines[1]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cols[0], "busybox");
    assert_eq!(cols[1], "latest");
    assert_eq!(cols[2], &id[7..19]);
    assert!(cols[3].ends_with("ago"), "{out}");
    assert!(cols[4].ends_with("MB"), "{out}");
    // The CREATED column starts where its header does.
    assert_eq!(lines[0].find("CREATED"), lines[1].find(cols[3]));

    assert_eq!(berth.ok(&["images", "-q"]).trim(), &id[7..19]);
    assert_eq!(berth.ok(&["images", "-q", "--no-trunc"]).trim(), id);
    assert_eq!(
        berth
            .ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .trim(),
        "busybox:latest"
    );
    let json: Value =
        serde_json::from_str(berth.ok(&["image", "ls", "--format", "json"]).trim()).unwrap();
    assert_eq!(json["Repository"], "busybox");

    let v = berth.inspect("busybox");
    assert_eq!(v["Id"], id);
    assert_eq!(v["RepoTags"], serde_json::json!(["busybox:latest"]));
    assert_eq!(v["Config"]["Cmd"], serde_json::json!(["/bin/sh"]));
    assert_eq!(v["Config"]["Env"], serde_json::json!(["PATH=/bin"]));
    assert_eq!(v["Config"]["WorkingDir"], "/tmp");
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["RootFS"]["Type"], "layers");
    assert_eq!(v["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert!(v["Size"].as_u64().unwrap() > 100_000);
    // Docker's key order: Id first.
    let text = berth.ok(&["image", "inspect", "busybox"]);
    assert!(
        text.trim_start_matches(['[', '{', '\n', ' '])
            .starts_with("\"Id\""),
        "{text}"
    );
    assert_eq!(
        berth.ok(&["image", "inspect", "-f", "{{.Id}}", id]).trim(),
        id
    );

    // The layer is unpacked once, with busybox in it.
    let layer = berth
        .path("layers")
        .join(&v["RootFS"]["Layers"][0].as_str().unwrap()[7..]);
    assert!(layer.join("bin/busybox").is_file());

    // Import from stdin, under another name: same content, same layer dir shared.
    let out = berth.run_stdin(&["import", "-", "other:2"], &fs::read(&tar).unwrap());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(berth.inspect("other:2")["Comment"], "Imported from -");
    assert_eq!(entries(&berth.path("layers")), 1);

    // system df counts the shared layer once.
    let df = berth.ok(&["system", "df"]);
    let images_row = df.lines().nth(1).unwrap();
    assert!(
        images_row.starts_with("Images          2         0         "),
        "{df}"
    );
    assert_eq!(images_row.matches(&cols[4]).count(), 2, "{df}");
}

#[test]
fn unknown_images_and_bad_names_fail_as_docker() {
    let berth = Berth::new();
    let out = berth.run(&["rmi", "busybox:nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error response from daemon: No such image: busybox:nope\n"
    );

    let out = berth.run(&["image", "inspect", "busybox:nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "Error: No such image: busybox:nope\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");

    let out = berth.run(&["tag", "busybox:nope", "x:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error response from daemon: No such image: busybox:nope\n"
    );

    for args in [
        &["pull", "bad::name"][..],
        &["rmi", "bad::name"],
        &["import", "-", "bad::name"],
    ] {
        let out = berth.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("invalid reference format"),
            "{args:?}: {}",
            stderr(&out)
        );
    }

    let out = berth.run(&["images", "--bogus"]);
    assert_eq!(out.status.code(), Some(125));

    // BERTH_ROOT instead of --root.
    let env_root = tempfile::tempdir().unwrap();
    let out = Command::new(bin_dir().join("berth"))
        .args(["images", "-q"])
        .env("BERTH_ROOT", env_root.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env_root.path().join("berth.db").exists());
}

#[test]
fn prune_removes_dangling_then_all() {
    if not_root() {
        return;
    }
    let berth = Berth::new();
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let tar = tar.to_str().unwrap();
    berth.ok(&["import", tar, "busybox"]);
    // Same content imported again under the same name: the first image loses its name.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    berth.ok(&["import", tar, "busybox"]);
    assert_eq!(berth.ok(&["images", "-q"]).lines().count(), 2);
    let out = berth.ok(&["image", "prune", "-f"]);
    assert!(
        out.starts_with("Deleted Images:\ndeleted: sha256:"),
        "{out}"
    );
    assert!(
        out.contains("Total reclaimed space: 0B"),
        "shared layer kept: {out}"
    );
    assert_eq!(berth.ok(&["images", "-q"]).lines().count(), 1);
    let out = berth.ok(&["image", "prune", "-a", "-f"]);
    assert!(out.contains("untagged: busybox:latest"), "{out}");
    assert!(out.contains("MB"), "{out}");
    assert_eq!(entries(&berth.path("layers")), 0);
}

#[test]
fn images_filters_label_before_since_as_docker() {
    if not_root() {
        return;
    }
    let berth = Berth::new();
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let tar = tar.to_str().unwrap();
    // Creation times have one-second resolution in the tests' view: space them out.
    berth.ok(&["import", tar, "first:1"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    berth.ok(&["import", "-c", "LABEL team=core", tar, "second:1"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    berth.ok(&["import", "-c", "LABEL team=edge", tar, "third:1"]);
    let names =
        |filter: &str| berth.ok(&["images", "--format", "{{.Repository}}", "--filter", filter]);
    assert_eq!(names("label=team"), "third\nsecond\n");
    assert_eq!(names("label=team=edge"), "third\n");
    assert_eq!(names("before=third:1"), "second\nfirst\n");
    assert_eq!(names("since=first:1"), "third\nsecond\n");
    let out = berth.run(&["images", "--filter", "since=nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("No such image: nope"),
        "{}",
        stderr(&out)
    );
    let out = berth.run(&["images", "--filter", "colour=red"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid filter 'colour'"),
        "{}",
        stderr(&out)
    );
}
