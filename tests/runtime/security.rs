//! What the container may not do: write a read-only root, read masked paths, use
//! dropped capabilities or syscalls denied by seccomp.

use e2e::{not_root, Bundle, Runtime};
use serde_json::json;

fn run(b: &mut Bundle, script: &str) -> (i32, String, String) {
    b.edit(|c| c["process"]["args"] = json!(["sh", "-c", script]));
    Runtime::new().run_bundle(b, "sec")
}

#[test]
fn read_only_root_and_masked_paths() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| c["root"]["readonly"] = json!(true));
    let (code, out, err) = run(
        &mut b,
        "touch /x 2>&1 || true; wc -c < /proc/keys; ls /sys/firmware | wc -l; (echo 1 > /proc/sys/kernel/domainname) 2>&1; touch /tmp/ok 2>&1; echo end",
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("Read-only file system"), "{out}");
    assert_eq!(lines[1].trim(), "0", "/proc/keys not masked: {out}");
    assert_eq!(lines[2].trim(), "0", "/sys/firmware not masked: {out}");
    assert!(
        lines[3].contains("Read-only file system"),
        "/proc/sys writable: {out}"
    );
    // /tmp is part of the read-only root here.
    assert!(lines[4].contains("Read-only file system"), "{out}");
    assert!(!b.rootfs().join("x").exists());
}

#[test]
fn capabilities_are_the_configured_ones() {
    if not_root() {
        return;
    }
    // The default spec keeps CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
    let mut b = Bundle::new(&["true"]);
    let (code, out, err) = run(&mut b, "grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status; touch /dev/shm/f; chown 1000 /dev/shm/f 2>&1; echo done");
    assert_eq!(code, 0, "{err}");
    for set in ["CapEff", "CapBnd", "CapPrm"] {
        let line = out.lines().find(|l| l.starts_with(set)).unwrap();
        assert!(line.ends_with("0000000020000420"), "{line}");
    }
    assert!(
        out.contains("Operation not permitted"),
        "chown worked without CAP_CHOWN: {out}"
    );
}

#[test]
fn seccomp_rule_returns_eperm() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
                {"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
            ]
        });
    });
    let (code, out, err) = run(&mut b, "mkdir /tmp/d 2>&1; hostname foo 2>&1; echo alive");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Operation not permitted"), "{out}");
    assert!(
        out.contains("Function not implemented") || out.contains("not implemented"),
        "{out}"
    );
    assert!(out.contains("alive"));
    assert!(!b.rootfs().join("tmp/d").exists());
}

#[test]
fn user_rlimits_umask_and_no_new_privileges() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["process"]["user"] = json!({"uid": 1000, "gid": 1000, "additionalGids": [5], "umask": 63});
        c["process"]["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}, {"type": "RLIMIT_NPROC", "soft": 100, "hard": 4000000000u64}]);
        c["process"]["noNewPrivileges"] = json!(true);
        c["process"]["cwd"] = json!("/home/berth");
    });
    let (code, out, err) = run(
        &mut b,
        "id; ulimit -n; umask; grep NoNewPrivs /proc/self/status; pwd",
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("uid=1000(berth) gid=1000(berth) groups=5(tty)"),
        "{out}"
    );
    assert_eq!(lines[1], "512");
    assert_eq!(lines[2], "0077");
    assert!(lines[3].ends_with("1"));
    assert_eq!(lines[4], "/home/berth");
}

#[test]
fn apparmor_label_on_a_host_without_apparmor_is_a_clear_error() {
    if not_root() || std::path::Path::new("/sys/kernel/security/apparmor").exists() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| c["process"]["apparmorProfile"] = json!("berth-default"));
    let rt = Runtime::new();
    let (code, _, err) = rt.run_bundle(&b, "aa");
    assert_eq!(code, 1);
    assert!(err.contains("apparmor"), "{err}");
    assert!(!rt.root.path().join("aa").exists());
}
