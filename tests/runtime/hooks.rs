//! Hooks run in the spec's order, each with the state JSON on stdin; a failing
//! create-time hook fails the create and leaves nothing; a slow hook times out.

use e2e::{not_root, Bundle, Runtime};
use serde_json::json;

#[test]
fn hooks_run_in_order_with_state_on_stdin() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("log");
    let mut b = Bundle::new(&["sh", "-c", "echo main >> /hooks/log"]);
    let host_log = log.to_str().unwrap().to_string();
    // Runtime-namespace hooks write the host path; container-namespace ones after
    // pivot_root (startContainer) see the bind-mounted directory at /hooks.
    let hook = |name: &str, path: &str| json!({"path": "/bin/sh", "args": ["sh", "-c", format!("read -r s; echo {name} $(echo \"$s\" | grep -o '\"status\":\"[a-z]*\"') >> {path}")]});
    b.edit(|c| {
        c["mounts"].as_array_mut().unwrap().push(json!({
            "destination": "/hooks", "type": "bind", "source": logdir.path(), "options": ["rbind", "rw"]
        }));
        c["hooks"] = json!({
            "prestart": [hook("prestart", &host_log)],
            "createRuntime": [hook("createRuntime", &host_log)],
            "createContainer": [hook("createContainer", &host_log)],
            "startContainer": [hook("startContainer", "/hooks/log")],
            "poststart": [hook("poststart", &host_log)],
            "poststop": [hook("poststop", &host_log)],
        });
    });
    let (code, _, err) = rt.run_bundle(&b, "hooked");
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&log).unwrap();
    let names: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
    // poststart runs after the process started, so "main" may come before or after it.
    let without_main: Vec<&str> = names.iter().copied().filter(|n| *n != "main").collect();
    assert_eq!(
        without_main,
        [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"
        ],
        "{text}"
    );
    assert!(names.contains(&"main"));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("\"status\":\"created\""),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("\"status\":\"stopped\""),
        "{text}"
    );
}

#[test]
fn failing_or_slow_hook_fails_create_and_leaves_nothing() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.edit(|c| c["hooks"] = json!({"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo nope >&2; exit 3"]}]}));
    let (code, _, err) = rt.run_bundle(&b, "h1");
    assert_eq!(code, 1);
    assert!(
        err.contains("createRuntime") && err.contains("nope"),
        "{err}"
    );
    assert!(!rt.root.path().join("h1").exists());

    b.edit(|c| {
        c["hooks"] =
            json!({"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]})
    });
    let t0 = std::time::Instant::now();
    let (code, _, err) = rt.run_bundle(&b, "h2");
    assert_eq!(code, 1);
    assert!(err.contains("timed out"), "{err}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    assert!(!rt.root.path().join("h2").exists());
}

#[test]
fn poststart_runs_after_the_program_started() {
    if not_root() {
        return;
    }
    let rt = Runtime::new();
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("comm");
    let mut b = Bundle::new(&["sleep", "100"]);
    let script = format!(
        "pid=$(sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/'); cat /proc/$pid/comm > {}",
        log.display()
    );
    b.edit(|c| {
        c["hooks"] = json!({"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", script]}]})
    });
    rt.start_detached(&["create", "--bundle", b.path().to_str().unwrap(), "ps1"]);
    rt.ok(&["start", "ps1"]);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        "sleep",
        "poststart ran before the exec"
    );
    rt.ok(&["delete", "--force", "ps1"]);
}
