//! What the container writes reaches attached clients and the json-file log; stdin
//! and the pty work.

use e2e::not_root;
use monitor::config::LogOpts;
use monitor::{Client, Frame};
use serde_json::json;

use crate::fixture::{collect, Fixture};

#[test]
fn output_reaches_the_attach_client_and_the_log() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "echo out; echo err >&2; exit 3"]);
    let marker = f.on_exit_marker();
    let (spawned, mut c) = f.spawn();
    let seen = collect(&mut c);
    assert_eq!(seen.stdout, "out\n");
    assert_eq!(seen.stderr, "err\n");
    assert_eq!(seen.exits, vec![3]);
    assert_eq!(seen.started, vec![spawned.pid]);
    let s = f.state();
    assert_eq!(s.status, monitor::state::Status::Exited);
    assert_eq!(s.exit_code, 3);
    assert!(
        s.started_at.ends_with('Z') && s.finished_at.ends_with('Z'),
        "{s:?}"
    );
    assert!(marker.exists(), "on_exit did not run before the Exit frame");
    assert!(!f.run_dir().join("attach").exists());
    let log = f.log_entries();
    assert_eq!(log.len(), 2, "{log:?}");
    let out = log.iter().find(|e| e["stream"] == "stdout").unwrap();
    assert_eq!(out["log"], "out\n");
    let err = log.iter().find(|e| e["stream"] == "stderr").unwrap();
    assert_eq!(err["log"], "err\n");
    let t = out["time"].as_str().unwrap();
    assert!(
        t.len() == 30 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
        "{t}"
    );
    // After the end: no socket, so the engine reads state.json instead.
    assert!(Client::connect(f.run_dir()).is_err());
}

#[test]
fn two_clients_both_get_output_and_exit() {
    if not_root() {
        return;
    }
    let f = Fixture::new(&["sh", "-c", "sleep 1; echo hi"]);
    let (_s, mut first) = f.spawn();
    let mut second = Client::connect(f.run_dir()).unwrap();
    let waiter = std::thread::spawn(move || collect(&mut second));
    let a = collect(&mut first);
    let b = waiter.join().unwrap();
    assert_eq!((a.stdout.as_str(), a.exits.as_slice()), ("hi\n", &[0][..]));
    assert_eq!((b.stdout.as_str(), b.exits.as_slice()), ("hi\n", &[0][..]));
}

#[test]
fn a_wait_only_client_gets_just_the_exit() {
    if not_root() {
        return;
    }
    let f = Fixture::new(&["sh", "-c", "sleep 1; echo hi; exit 4"]);
    let (_s, mut first) = f.spawn();
    let mut w = Client::connect(f.run_dir()).unwrap();
    w.hello(monitor::protocol::Hello::NOTHING).unwrap();
    let seen = collect(&mut w);
    assert_eq!(
        (seen.stdout.as_str(), seen.exits.as_slice()),
        ("", &[4][..])
    );
    assert_eq!(collect(&mut first).stdout, "hi\n");
}

#[test]
fn stdin_reaches_cat() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["cat"]);
    f.cfg.stdin = true;
    let (_s, mut c) = f.spawn();
    c.send_stdin(b"hello through the monitor\n").unwrap();
    c.close_stdin().unwrap();
    let seen = collect(&mut c);
    assert_eq!(seen.stdout, "hello through the monitor\n");
    assert_eq!(seen.exits, vec![0]);
}

#[test]
fn tty_gives_the_container_a_pty() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "tty; stty size"]);
    f.bundle.edit(|c| c["process"]["terminal"] = json!(true));
    f.cfg.tty = true;
    let (_s, mut c) = f.spawn();
    let mut out = String::new();
    let mut exits = Vec::new();
    while let Some(fr) = c.recv().unwrap() {
        match fr {
            Frame::Stdout(b) => out.push_str(&String::from_utf8_lossy(&b)),
            Frame::Stderr(_) => panic!("a tty has no separate stderr"),
            Frame::Exit(code) => exits.push(code),
            Frame::Started(_) => {}
            Frame::Dns(a) => panic!("a DNS answer nobody asked for: {a:?}"),
        }
    }
    assert!(out.contains("/dev/pts/0"), "{out:?}");
    assert_eq!(exits, vec![0]);
    assert!(f
        .log_entries()
        .iter()
        .any(|e| e["log"].as_str().unwrap_or("").contains("/dev/pts/0")));
}

#[test]
fn the_log_rotates_at_max_size_keeping_max_files() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&[
        "sh",
        "-c",
        "i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done",
    ]);
    let path = f.dir.path().join("x-json.log");
    f.cfg.log = Some(LogOpts {
        path: path.clone(),
        max_size: 4000,
        max_files: 3,
    });
    let (_s, mut c) = f.spawn();
    assert_eq!(collect(&mut c).exits, vec![0]);
    let name = |n: u32| std::path::PathBuf::from(format!("{}.{n}", path.display()));
    for p in [path.clone(), name(1), name(2)] {
        let len = std::fs::metadata(&p).unwrap().len();
        assert!(len > 0 && len <= 4000, "{}: {len}", p.display());
    }
    assert!(!name(3).exists());
    assert_eq!(f.log_entries().last().unwrap()["log"], "line 399\n");
}
