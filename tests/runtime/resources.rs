//! cgroup limits as a user sees them: the memory limit kills, the pids limit fails a
//! fork, the cpu quota caps usage, `update` changes a live limit, stats read back.

use e2e::{not_root, unique, Bundle, Runtime};
use serde_json::json;

fn cg_file(controller: &str, cg: &str, file: &str) -> String {
    std::fs::read_to_string(format!("/sys/fs/cgroup/{controller}{cg}/{file}")).unwrap()
}

#[test]
fn memory_limit_kills_at_64mib() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.cgroup(&unique("mem"));
    let limit = 64 * 1024 * 1024;
    b.edit(|c| {
        c["linux"]["resources"]["memory"] = json!({"limit": limit, "swap": limit});
        // 100 MiB in one buffer: dd touches every page of it.
        c["process"]["args"] = json!(["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"]);
    });
    let (code, _, err) = rt.run_bundle(&b, "hog");
    assert_eq!(code, 137, "expected an OOM kill (SIGKILL): {err}");
    // 50 MiB fits.
    b.edit(|c| {
        c["process"]["args"] = json!(["dd", "if=/dev/zero", "of=/dev/null", "bs=50M", "count=1"])
    });
    let (code, _, err) = rt.run_bundle(&b, "fits");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn pids_limit_fails_a_fork() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.cgroup(&unique("pids"));
    b.edit(|c| {
        c["linux"]["resources"]["pids"] = json!({"limit": 4});
        c["process"]["args"] = json!([
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6; do sleep 2 & done; echo forked"
        ]);
    });
    let (_, out, err) = rt.run_bundle(&b, "forky");
    assert!(
        !out.contains("forked") || err.contains("fork"),
        "out={out} err={err}"
    );
    assert!(
        err.contains("can't fork") || err.contains("Resource temporarily unavailable"),
        "{err}"
    );
}

#[test]
fn cpu_quota_caps_usage_and_limits_read_back() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sh", "-c", "while :; do :; done"]);
    let cg = b.cgroup(&unique("cpu"));
    b.edit(|c| {
        c["linux"]["resources"]["cpu"] =
            json!({"quota": 20000, "period": 100000, "shares": 512, "cpus": "0"});
        c["linux"]["resources"]["memory"] = json!({"limit": 128 * 1024 * 1024});
    });
    rt.start_detached(&["run", "-d", "--bundle", b.path().to_str().unwrap(), "spin"]);
    assert_eq!(cg_file("cpu", &cg, "cpu.cfs_quota_us").trim(), "20000");
    assert_eq!(cg_file("cpu", &cg, "cpu.shares").trim(), "512");
    assert_eq!(cg_file("cpuset", &cg, "cpuset.cpus").trim(), "0");
    let usage = |cg: &str| {
        cg_file("cpuacct", cg, "cpuacct.usage")
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let start = usage(&cg);
    let t0 = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let used = (usage(&cg) - start) as f64 / t0.elapsed().as_nanos() as f64;
    assert!(
        used < 0.35,
        "a 20% quota used {:.0}% of a cpu",
        used * 100.0
    );
    assert!(
        used > 0.05,
        "the spinner did not run ({:.0}%)",
        used * 100.0
    );

    // update: a new limit on the live container, seen in the cgroup and in stats.
    rt.ok(&[
        "update",
        "--memory",
        "96m",
        "--pids-limit",
        "50",
        "--cpu-quota",
        "50000",
        "spin",
    ]);
    assert_eq!(
        cg_file("memory", &cg, "memory.limit_in_bytes").trim(),
        (96u64 << 20).to_string()
    );
    assert_eq!(cg_file("pids", &cg, "pids.max").trim(), "50");
    assert_eq!(cg_file("cpu", &cg, "cpu.cfs_quota_us").trim(), "50000");
    let ev: serde_json::Value =
        serde_json::from_str(rt.ok(&["events", "--stats", "spin"]).trim()).unwrap();
    assert_eq!(ev["type"], "stats");
    assert_eq!(ev["data"]["memory"]["usage"]["limit"], json!(96u64 << 20));
    assert_eq!(ev["data"]["pids"]["limit"], json!(50));
    assert!(ev["data"]["cpu"]["usage"]["total"].as_u64().unwrap() > 0);
    rt.ok(&["delete", "--force", "spin"]);
}

#[test]
fn impossible_limit_is_refused_and_leaves_nothing() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    let cg = b.cgroup(&unique("bad"));
    b.edit(|c| c["linux"]["resources"]["cpu"] = json!({"cpus": "999"}));
    let (code, _, err) = rt.run_bundle(&b, "bad");
    assert_eq!(code, 1);
    assert!(err.contains("cpuset"), "{err}");
    assert!(!rt.root.path().join("bad").exists());
    assert!(!e2e::cgroup_exists(&cg), "half-made cgroup left");
}
