//! Pull and push against a registry on 127.0.0.1: by tag and digest, platforms, auth, mirrors, progress, and pulls that fail half-way.

use super::*;

#[test]
fn pull_by_tag_and_digest_then_tag_and_rmi() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (built, _) = busybox_layout(layout.path(), "t1", None);
    reg.skopeo_push(layout.path(), "t1", "busybox:t1", false);
    let berth = Berth::new();
    let name = format!("{}/busybox:t1", reg.host());
    let repo = format!("{}/busybox", reg.host());

    let out = berth.ok(&["pull", &name]);
    assert!(
        out.contains(&format!("Digest: {}", built[0].manifest.digest)),
        "{out}"
    );
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {name}")),
        "{out}"
    );
    assert_eq!(out.lines().last().unwrap(), name);
    let out = berth.ok(&["image", "pull", &name]);
    assert!(
        out.contains(&format!("Status: Image is up to date for {name}")),
        "{out}"
    );

    let short = &built[0].config.digest[7..19];
    let images = berth.ok(&["images", "--digests"]);
    let row = images.lines().nth(1).unwrap();
    let cols: Vec<&str> = row
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cols[..4],
        [
            repo.as_str(),
            "t1",
            built[0].manifest.digest.as_str(),
            short
        ],
        "{images}"
    );

    let v = berth.inspect(&name);
    assert_eq!(v["Id"], built[0].config.digest);
    assert_eq!(
        v["RepoDigests"],
        serde_json::json!([format!("{repo}@{}", built[0].manifest.digest)])
    );
    assert_eq!(v["Architecture"], "amd64");
    assert!(berth.path("layers").read_dir().unwrap().count() == 1);
    let history = berth.ok(&["history", &name]);
    let lines: Vec<&str> = history.lines().collect();
    assert!(lines[0].starts_with("IMAGE          CREATED"), "{history}");
    assert!(
        lines[1].starts_with(short)
            && lines[1].contains("years ago")
            && lines[1].contains("berth test"),
        "{history}"
    );

    // By digest: the same image, no new layer.
    let by_digest = format!("{repo}@{}", built[0].manifest.digest);
    berth.ok(&["pull", &by_digest]);
    assert_eq!(berth.ok(&["images", "-q"]).trim(), short);

    // Tag, then remove one tag: the image stays.
    berth.ok(&["tag", &name, "mybox:1"]);
    assert_eq!(berth.inspect("mybox:1")["Id"], built[0].config.digest);
    let conflict = berth.run(&["rmi", short]);
    assert_eq!(conflict.status.code(), Some(1));
    assert!(
        stderr(&conflict).contains("must be forced"),
        "{}",
        stderr(&conflict)
    );
    assert_eq!(berth.ok(&["rmi", "mybox:1"]), "Untagged: mybox:1\n");
    assert!(berth.path("layers").read_dir().unwrap().count() == 1);

    // The last tag: digest references, image, layer dir and blobs all go.
    let out = berth.ok(&["image", "rm", &name]);
    assert!(
        out.starts_with(&format!(
            "Untagged: {name}\nUntagged: {by_digest}\nDeleted: {}\n",
            built[0].config.digest
        )),
        "{out}"
    );
    assert_eq!(entries(&berth.path("layers")), 0);
    assert_eq!(entries(&berth.path("blobs/sha256")), 0);
    assert_eq!(berth.ok(&["images", "-q"]), "");
}

#[test]
fn login_and_logout_with_htpasswd() {
    let Some(reg) = Registry::start_with_user("berth", "s3cret") else {
        return;
    };
    let layout = tempfile::tempdir().unwrap();
    let (built, _) = busybox_layout(layout.path(), "t", None);
    reg.skopeo_push_as(layout.path(), "t", "private:1", false, Some("berth:s3cret"));
    let name = format!("{}/private:1", reg.host());
    let berth = Berth::new();
    let out = berth.run(&["pull", &name]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("Error response from daemon: "),
        "{}",
        stderr(&out)
    );
    let out = berth.run_stdin(
        &["login", "-u", "berth", "--password-stdin", &reg.host()],
        b"wrong\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = berth.run_stdin(
        &["login", "-u", "berth", "--password-stdin", &reg.host()],
        b"s3cret\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Login Succeeded\n");
    let cfg = berth.path("docker-config/config.json");
    let text = fs::read_to_string(&cfg).unwrap();
    assert!(text.contains(&reg.host()), "{text}");
    if !not_root() {
        berth.ok(&["pull", &name]);
        assert_eq!(berth.inspect(&name)["Id"], built[0].config.digest);
    }
    assert_eq!(
        berth.ok(&["logout", &reg.host()]),
        format!("Removing login credentials for {}\n", reg.host())
    );
    assert!(!fs::read_to_string(&cfg).unwrap().contains(&reg.host()));
}

#[test]
fn pull_picks_the_platform_from_an_index() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (built, index) = busybox_layout(layout.path(), "multi", Some("arm64"));
    reg.skopeo_push(layout.path(), "multi", "multi:1", true);
    let berth = Berth::new();
    let name = format!("{}/multi:1", reg.host());

    let out = berth.ok(&["pull", &name]);
    assert!(
        out.contains(&format!("Digest: {}", index.unwrap().digest)),
        "{out}"
    );
    let v = berth.inspect(&name);
    assert_eq!(v["Id"], built[0].config.digest);
    assert_eq!(v["Architecture"], "amd64");

    berth.ok(&["pull", "--platform", "linux/arm64", &name]);
    let v = berth.inspect(&name);
    assert_eq!(v["Id"], built[1].config.digest);
    assert_eq!(v["Architecture"], "arm64");
    // The amd64 image lost its names and is listed as <none>; the one layer is shared.
    let images = berth.ok(&["images"]);
    assert!(images.contains("<none>"), "{images}");
    let dangling = berth.ok(&["images", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling.trim(), &built[0].config.digest[7..19]);
    let named = berth.ok(&["images", "-q", "-f", "reference=*/multi:1"]);
    assert_eq!(named.trim(), &built[1].config.digest[7..19]);
    assert_eq!(
        berth.ok(&["images", "-q", &name]).trim(),
        &built[1].config.digest[7..19]
    );
    assert_eq!(entries(&berth.path("layers")), 1);

    let out = berth.run(&["pull", &format!("{}/multi:nope", reg.host())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("Error response from daemon: "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("multi:nope"), "{}", stderr(&out));
}

#[test]
fn tampered_layer_is_refused_and_the_store_left_empty() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let (built, _) = busybox_layout(layout.path(), "t", None);
    reg.skopeo_push(layout.path(), "t", "bad:1", false);
    let data = reg.blob_data(&built[0].layer.digest);
    let mut bytes = fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&data, &bytes).unwrap();

    let berth = Berth::new();
    let out = berth.run(&["pull", &format!("{}/bad:1", reg.host())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&built[0].layer.digest),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(&berth.path("layers")), 0);
    assert_eq!(entries(&berth.path("blobs/sha256")), 0);
    assert_eq!(berth.ok(&["images", "-q"]), "");
}

#[test]
fn imported_image_pushed_then_pulled_into_another_root() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let work = tempfile::tempdir().unwrap();
    let tar = busybox_tarball(work.path());
    let a = Berth::new();
    let id = a.ok(&[
        "import",
        "-c",
        "CMD [\"/bin/sh\"]",
        tar.to_str().unwrap(),
        "busybox",
    ]);
    let id = id.trim();
    let name = format!("{}/busybox:t1", reg.host());

    let out = a.run(&["push", &name]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "Error response from daemon: An image does not exist locally with the tag: {name}\n"
        )
    );
    a.ok(&["tag", "busybox", &name]);
    let out = a.ok(&["push", &name]);
    assert!(
        out.starts_with(&format!(
            "The push refers to repository [{}/busybox]\n",
            reg.host()
        )),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("t1: digest: sha256:"), "{out}");
    let digest = last.split_whitespace().nth(2).unwrap().to_string();
    assert_eq!(
        a.inspect(&name)["RepoDigests"],
        serde_json::json!([format!("{}/busybox@{digest}", reg.host())])
    );

    // skopeo sees the same manifest digest.
    let out = Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{name}"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), digest);

    let b = Berth::new();
    let out = b.ok(&["pull", &name]);
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    assert_eq!(b.inspect(&name)["Id"], id);
    assert_eq!(
        b.inspect(&name)["Config"]["Cmd"],
        serde_json::json!(["/bin/sh"])
    );
}

#[test]
fn pull_killed_midway_leaves_a_store_the_next_pull_completes() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    let built = random_layers_layout(layout.path(), "big", 4, 16 << 20);
    reg.skopeo_push(layout.path(), "big", "big:1", false);
    let berth = Berth::new();
    let name = format!("{}/big:1", reg.host());

    let mut child = berth
        .cmd()
        .args(["pull", &name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a download is under way (or it finished first: then nothing to test).
    let ingest = berth.path("ingest");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while entries(&ingest) == 0 && std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    child.wait().unwrap();
    assert_eq!(
        berth.ok(&["images", "-q"]),
        "",
        "no image recorded by a killed pull"
    );

    berth.ok(&["pull", &name]);
    assert_eq!(berth.inspect(&name)["Id"], built.config.digest);
    assert_eq!(entries(&berth.path("layers")), 4);
    assert_eq!(entries(&ingest), 0);
    for l in berth.path("layers").read_dir().unwrap() {
        assert!(!l.unwrap().file_name().to_string_lossy().contains(".tmp-"));
    }
}

#[test]
fn docker_hub_names_are_pulled_from_a_configured_mirror() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    busybox_layout(layout.path(), "m1", None);
    // What a Docker Hub mirror serves for `busybox:mirrored`.
    reg.skopeo_push(layout.path(), "m1", "library/busybox:mirrored", false);
    let berth = Berth::new();
    std::fs::write(
        berth.root.path().join("daemon.json"),
        format!("{{\"registry-mirrors\": [\"http://{}\"]}}", reg.host()),
    )
    .unwrap();
    let out = berth.ok(&["pull", "busybox:mirrored"]);
    assert!(
        out.contains("Downloaded newer image for busybox:mirrored"),
        "{out}"
    );
    assert!(
        berth.ok(&["images"]).contains("busybox      mirrored"),
        "{}",
        berth.ok(&["images"])
    );
}

#[test]
fn pull_on_a_terminal_draws_one_line_per_layer() {
    if not_root() || Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    random_layers_layout(layout.path(), "bars", 2, 4 * 1024 * 1024);
    reg.skopeo_push(layout.path(), "bars", "bars:1", false);
    let berth = Berth::new();
    let name = format!("{}/bars:1", reg.host());
    // script(1) gives berth a terminal, as a person's shell would.
    let cmd = format!(
        "BERTH_CONFIG={} DOCKER_CONFIG={} {} --root {} pull {name}",
        berth.root.path().join("daemon.json").display(),
        berth.root.path().join("docker-config").display(),
        bin_dir().join("berth").display(),
        berth.root.path().display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // Each layer ends as "Pull complete" (redrawn frames repeat the lines).
    let ids: std::collections::BTreeSet<&str> = text
        .match_indices(": Pull complete")
        .filter_map(|(i, _)| text.get(i.saturating_sub(12)..i))
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert!(
        text.contains("Downloading ["),
        "no progress bar drawn: {text}"
    );
    // The lines are redrawn in place (cursor movement), not appended.
    assert!(
        text.contains('\u{1b}'),
        "no terminal control sequences: {text}"
    );
    assert!(
        text.contains(&format!("Status: Downloaded newer image for {name}")),
        "{text}"
    );
}

#[test]
fn a_full_disk_during_pull_is_a_clear_error_and_leaves_the_store_as_it_was() {
    if not_root() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let layout = tempfile::tempdir().unwrap();
    random_layers_layout(layout.path(), "big", 3, 6 * 1024 * 1024);
    reg.skopeo_push(layout.path(), "big", "big:1", false);
    // berth's root on a 12 MiB tmpfs: the blobs fit, their unpacked layers do not.
    let small = tempfile::tempdir().unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12m", "tmpfs"])
        .arg(small.path())
        .status()
        .unwrap();
    assert!(status.success());
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(small.path());
    let run = |args: &[&str]| {
        Command::new(bin_dir().join("berth"))
            .arg("--root")
            .arg(small.path())
            .env("DOCKER_CONFIG", small.path().join("docker-config"))
            .env("BERTH_CONFIG", small.path().join("daemon.json"))
            .args(args)
            .output()
            .unwrap()
    };
    let name = format!("{}/big:1", reg.host());
    let out = run(&["pull", &name]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = stderr(&out);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(String::from_utf8_lossy(&run(&["images", "-q"]).stdout), "");
    // Nothing half-made stays: no blob, no layer directory, no temp file.
    for dir in ["blobs/sha256", "layers", "ingest"] {
        assert_eq!(
            entries(&small.path().join(dir)),
            0,
            "{dir} not empty after a failed pull"
        );
    }
}
