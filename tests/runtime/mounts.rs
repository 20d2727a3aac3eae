//! Spec mounts in order with their options, devices, sysctls, the time namespace,
//! rlimit clamping, and the JSON log format.

use e2e::{not_root, Bundle, Runtime};
use serde_json::json;

fn run(b: &mut Bundle, script: &str) -> (i32, String, String) {
    b.edit(|c| c["process"]["args"] = json!(["sh", "-c", script]));
    Runtime::new().run_bundle(b, "m")
}

#[test]
fn bind_tmpfs_and_propagation_options() {
    if not_root() {
        return;
    }
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("data"), "from host").unwrap();
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        let m = c["mounts"].as_array_mut().unwrap();
        m.push(json!({"destination": "/data/ro", "type": "bind", "source": host.path(), "options": ["rbind", "ro", "nosuid"]}));
        m.push(json!({"destination": "/data/rw", "type": "bind", "source": host.path(), "options": ["bind"]}));
        m.push(json!({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=700", "noexec"]}));
        // A later mount on top of an earlier one: order matters.
        m.push(json!({"destination": "/scratch/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}));
        c["linux"]["rootfsPropagation"] = json!("unbindable");
    });
    let (code, out, err) = run(
        &mut b,
        "cat /data/ro/data; echo; (echo x > /data/ro/new) 2>&1; echo written > /data/rw/new; \
         stat -c %a /scratch; grep ' /scratch ' /proc/self/mountinfo | grep -c noexec; \
         grep ' /scratch/inner ' /proc/self/mountinfo | grep -c size=2048k; \
         awk '$5 == \"/\"' /proc/self/mountinfo | grep -c unbindable",
    );
    assert_eq!(code, 0, "{out} {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "from host");
    assert!(lines[1].contains("Read-only file system"), "{out}");
    assert_eq!(
        std::fs::read_to_string(host.path().join("new")).unwrap(),
        "written\n"
    );
    assert_eq!(lines[2], "700");
    assert_eq!(lines[3], "1", "noexec missing: {out}");
    assert_eq!(lines[4], "1", "inner tmpfs missing: {out}");
    assert_eq!(lines[5], "1", "root not unbindable: {out}");
}

#[test]
fn devices_sysctls_and_time_namespace() {
    if not_root() {
        return;
    }
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["linux"]["devices"] = json!([{"path": "/dev/berth-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666, "uid": 1000, "gid": 1000}]);
        c["linux"]["sysctl"] = json!({"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"});
        c["linux"]["namespaces"].as_array_mut().unwrap().push(json!({"type": "time"}));
        c["linux"]["timeOffsets"] = json!({"boottime": {"secs": 86400, "nanosecs": 0}});
    });
    let host_ipf = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap();
    let (code, out, err) = run(
        &mut b,
        "stat -c '%t:%T %a %u:%g' /dev/berth-null; echo hi > /dev/berth-null && echo null-ok; \
         ls -l /dev/ptmx /dev/fd | cut -c1; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; \
         cut -d' ' -f1 /proc/uptime",
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1:3 666 1000:1000", "{out}");
    assert_eq!(lines[1], "null-ok");
    assert_eq!(lines[2], "l", "/dev/ptmx is not a symlink: {out}");
    assert_eq!(lines[3], "l", "/dev/fd is not a symlink: {out}");
    assert_eq!(lines[4], "1");
    assert_eq!(lines[5], "4096");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap(),
        host_ipf,
        "sysctl leaked to the host"
    );
    let up: f64 = lines[6].parse().unwrap();
    let host_up: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        up > host_up + 86000.0,
        "boottime offset not applied: {up} vs host {host_up}"
    );
}

#[test]
fn rlimit_above_the_hard_limit_is_clamped_with_a_warning() {
    if not_root() {
        return;
    }
    let hard = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .unwrap()
        .1;
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| {
        c["process"]["rlimits"] =
            json!([{"type": "RLIMIT_NOFILE", "soft": hard + 1000, "hard": hard + 1000}])
    });
    let (code, out, err) = run(&mut b, "ulimit -Hn; ulimit -n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{hard}\n{hard}\n"));
    assert!(
        err.contains("RLIMIT_NOFILE") || err.to_lowercase().contains("clamp"),
        "no warning: {err}"
    );
}

#[test]
fn errors_go_to_the_log_file_as_json() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.json");
    let out = rt.run(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "start",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line = std::fs::read_to_string(&log).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.lines().last().unwrap()).unwrap();
    assert_eq!(v["level"], "error");
    assert!(
        v["msg"].as_str().unwrap().contains("does not exist"),
        "{line}"
    );
    assert!(v["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn no_pivot_falls_back_to_move_and_chroot() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let b = Bundle::new(&[
        "sh",
        "-c",
        "cat /etc/passwd | head -1; ls /proc/1/root/bin/busybox",
    ]);
    let out = rt.run(&[
        "run",
        "--no-pivot",
        "--bundle",
        b.path().to_str().unwrap(),
        "np",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "root:x:0:0:root:/root:/bin/sh\n/proc/1/root/bin/busybox\n"
    );
}
