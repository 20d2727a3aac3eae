//! Bad input: a clear error naming the field or object, exit 1, nothing half-made.

use e2e::{cgroup_exists, not_root, unique, Bundle, Runtime};
use serde_json::json;

fn expect_failure(rt: &Runtime, b: &Bundle, id: &str, needle: &str) {
    let (code, _, err) = rt.run_bundle(b, id);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(needle),
        "error should mention {needle:?}: {err}"
    );
    assert!(!rt.root.path().join(id).exists(), "state dir left behind");
}

#[test]
fn malformed_config_missing_rootfs_unknown_namespace() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    let cg = b.cgroup(&unique("badin"));
    std::fs::write(b.path().join("config.json"), "{ not json").unwrap();
    expect_failure(&rt, &b, "m1", "config.json");

    b.save();
    b.edit(|c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "bogus"}))
    });
    expect_failure(&rt, &b, "m2", "linux.namespaces");

    let mut b = Bundle::new(&["true"]);
    b.edit(|c| c["root"]["path"] = json!("/no/such/rootfs"));
    expect_failure(&rt, &b, "m3", "/no/such/rootfs");

    let mut b = Bundle::new(&["true"]);
    b.edit(|c| c["process"]["args"] = json!([]));
    expect_failure(&rt, &b, "m4", "process.args");
    assert!(!cgroup_exists(&cg));
}

#[test]
fn unsupported_flags_and_unknown_containers() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let out = rt.run(&["--systemd-cgroup", "state", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not supported"));
    let out = rt.run(&["kill", "nope", "KILL"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = rt.run(&["start", "../../etc"]);
    assert_eq!(out.status.code(), Some(1));
    // runc: delete --force of a missing container succeeds.
    assert!(rt.run(&["delete", "--force", "nope"]).status.success());
}

#[test]
fn features_and_spec() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let f: serde_json::Value = serde_json::from_str(&rt.ok(&["features"])).unwrap();
    assert_eq!(f["ociVersionMax"], "1.2.0");
    assert!(f["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .contains(&json!("cgroup")));
    assert!(f["linux"]["seccomp"]["actions"]
        .as_array()
        .unwrap()
        .contains(&json!("SCMP_ACT_ERRNO")));
    let dir = tempfile::tempdir().unwrap();
    rt.ok(&["spec", "--bundle", dir.path().to_str().unwrap()]);
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(spec["root"]["path"], "rootfs");
    assert_eq!(
        rt.run(&["spec", "--bundle", dir.path().to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}
