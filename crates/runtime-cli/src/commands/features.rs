//! `features`: what this runtime supports, in the shape of runtime-spec features.md.

use anyhow::Result;
use runtime::security;

pub fn features() -> Result<i32> {
    let namespaces: Vec<&str> = ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]
        .into_iter()
        .chain(
            std::path::Path::new("/proc/self/ns/time")
                .exists()
                .then_some("time"),
        )
        .collect();
    let v = serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.2.0",
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": [
            "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "lazytime", "loud",
            "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime",
            "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared",
            "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync",
            "tmpcopyup", "unbindable"
        ],
        "linux": {
            "namespaces": namespaces,
            "capabilities": security::caps::known_capabilities(),
            "cgroup": { "v1": true, "v2": true, "systemd": false, "systemdUser": false, "rdma": false },
            "seccomp": {
                "enabled": true,
                "actions": security::seccomp::supported_actions(),
                "operators": security::seccomp::supported_operators(),
                "archs": security::seccomp::supported_archs(),
                "knownFlags": security::seccomp::known_flags(),
                "supportedFlags": security::seccomp::supported_flags(),
            },
            "apparmor": { "enabled": std::fs::read_to_string("/sys/module/apparmor/parameters/enabled").is_ok_and(|s| s.trim() == "Y") },
            "selinux": { "enabled": std::path::Path::new("/sys/fs/selinux/enforce").exists() },
            "intelRdt": { "enabled": false },
            "mountExtensions": { "idmap": { "enabled": false } }
        },
        "annotations": {
            "io.github.berth.runtime.version": env!("CARGO_PKG_VERSION"),
            "io.github.seccomp.libseccomp.version": "2.5"
        }
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(0)
}
