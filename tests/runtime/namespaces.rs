//! One test per namespace kind: what a process inside sees.

use e2e::{not_root, Bundle, Runtime};
use serde_json::json;

fn run_sh(b: &mut Bundle, script: &str) -> String {
    b.edit(|c| c["process"]["args"] = json!(["sh", "-c", script]));
    let rt = Runtime::new();
    let (code, out, err) = rt.run_bundle(b, "ns");
    assert_eq!(code, 0, "script {script:?} failed: {err}");
    out
}

#[test]
fn uts_pid_mount_ipc_net_cgroup() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["hostname"] = json!("berth-box");
        c["domainname"] = json!("berth.test");
    });
    let out = run_sh(
        &mut b,
        "hostname; cat /proc/sys/kernel/domainname; echo $$; \
         readlink /proc/self/ns/mnt; ls /sys/class/net; \
         readlink /proc/self/ns/ipc; cat /proc/self/cgroup | grep -c ':/$'",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "berth-box");
    assert_eq!(lines[1], "berth.test");
    assert_eq!(lines[2], "1", "not pid 1 in its own pid namespace");
    assert_ne!(
        lines[3],
        std::fs::read_link("/proc/self/ns/mnt")
            .unwrap()
            .to_str()
            .unwrap(),
        "host mount namespace"
    );
    assert_eq!(lines[4], "lo", "host interfaces visible: {out}");
    assert_ne!(
        lines[5],
        std::fs::read_link("/proc/self/ns/ipc")
            .unwrap()
            .to_str()
            .unwrap(),
        "host IPC namespace"
    );
    // In its own cgroup namespace every hierarchy's root is `/`.
    assert!(
        lines[6].trim().parse::<u32>().unwrap() >= 1,
        "cgroup ns root: {out}"
    );
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap()
            .trim(),
        "berth-box"
    );
}

#[test]
fn user_namespace_with_id_ranges() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    // The rootfs must belong to the mapped root to be usable.
    std::process::Command::new("chown")
        .args(["-R", "100000:100000"])
        .arg(b.rootfs())
        .status()
        .unwrap();
    b.edit(|c| {
        let ns = c["linux"]["namespaces"].as_array_mut().unwrap();
        ns.push(json!({"type": "user"}));
        c["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 200000, "size": 10}]);
        c["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        // /sys cannot be mounted by a user namespace without its own netns owner rights
        // on every kernel; keep the default mounts (the runtime falls back to a bind).
    });
    let out = run_sh(&mut b, "cat /proc/self/uid_map; id -u");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .take(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], vec!["0", "100000", "1000"], "{out}");
    assert_eq!(rows[1], vec!["1000", "200000", "10"], "{out}");
    assert_eq!(out.lines().nth(2), Some("0"));
}

#[test]
fn joins_an_existing_network_namespace_by_path() {
    if not_root() {
        return;
    }
    // A network namespace held by a sleeping process.
    let mut holder = std::process::Command::new("unshare")
        .args(["-n", "sleep", "30"])
        .spawn()
        .unwrap();
    let path = format!("/proc/{}/ns/net", holder.id());
    let want = loop {
        let link = std::fs::read_link(&path).unwrap();
        if link != std::fs::read_link("/proc/self/ns/net").unwrap() {
            break link;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        for ns in c["linux"]["namespaces"].as_array_mut().unwrap() {
            if ns["type"] == "network" {
                ns["path"] = json!(path);
            }
        }
    });
    let out = run_sh(&mut b, "readlink /proc/self/ns/net");
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.trim(), want.to_str().unwrap());
}

#[test]
fn own_mount_table_without_host_mounts() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    let out = run_sh(&mut b, "cut -d' ' -f5 /proc/self/mountinfo");
    // Host mount points outside the usual pseudo filesystems must not be visible.
    let host_only: Vec<String> = e2e::mount_points()
        .into_iter()
        .filter(|m| {
            m != "/"
                && !["/proc", "/sys", "/dev", "/run"]
                    .iter()
                    .any(|p| m.starts_with(p))
        })
        .collect();
    for m in out.lines() {
        assert!(
            !host_only.iter().any(|h| h == m),
            "host mount {m} visible in the container"
        );
    }
    assert!(
        out.lines().any(|m| m == "/proc") && out.lines().any(|m| m == "/dev/pts"),
        "{out}"
    );
}

#[test]
fn without_a_mount_namespace_nothing_is_mounted_on_the_host() {
    if not_root() {
        return;
    }
    let before = e2e::mount_points();
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .retain(|n| n["type"] != "mount");
    });
    let out = run_sh(
        &mut b,
        "cat /etc/passwd | head -1; ls /proc/self/ns/mnt >/dev/null && echo proc-ok",
    );
    assert_eq!(out, "root:x:0:0:root:/root:/bin/sh\nproc-ok\n");
    // A leak would be a mount in the bundle (its rootfs' /proc, /dev…) or one stacked on
    // a host mount point; other programs' mounts coming and going elsewhere are not ours.
    let after = e2e::mount_points();
    let bundle = b.path().to_string_lossy().into_owned();
    let in_bundle: Vec<&String> = after.iter().filter(|m| m.starts_with(&bundle)).collect();
    assert!(
        in_bundle.is_empty(),
        "mounts leaked onto the host: {in_bundle:?}"
    );
    let count = |v: &[String], m: &String| v.iter().filter(|x| *x == m).count();
    let stacked: Vec<&String> = after
        .iter()
        .filter(|m| before.contains(m) && count(&after, m) > count(&before, m))
        .collect();
    assert!(
        stacked.is_empty(),
        "mounts leaked onto the host: {stacked:?}"
    );
}
