//! `run` in the foreground: output, exit codes, Docker's defaults, flags in effect.

use super::*;

#[test]
fn run_rm_echo_prints_and_leaves_nothing() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let out = b.run(&["run", "--rm", "busybox", "echo", "hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello\n");
    assert_eq!(b.ok(&["ps", "-aq"]), "");
    let left: Vec<_> = std::fs::read_dir(b.containers_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "container dirs left: {left:?}");
}

#[test]
fn exit_codes_are_dockers() {
    if skip() {
        return;
    }
    let b = Berth::new();
    assert_eq!(
        code(&b.run(&["run", "--rm", "busybox", "sh", "-c", "exit 3"])),
        3
    );
    // PID 1 of a pid namespace ignores SIGKILL from inside; under --init the shell is
    // not PID 1 and the init passes its death on as 128+9.
    let killed = b.run(&["run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"]);
    assert_eq!(code(&killed), 137, "{}", stderr(&killed));
    assert_eq!(
        b.ok(&["run", "--rm", "--init", "busybox", "sh", "-c", "echo $$"]),
        "2\n"
    );
    let missing = b.run(&["run", "--rm", "busybox", "no-such-command"]);
    assert_eq!(code(&missing), 127, "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no-such-command"),
        "{}",
        stderr(&missing)
    );
    let noexec = b.run(&["run", "--rm", "busybox", "/etc/passwd"]);
    assert_eq!(code(&noexec), 126, "{}", stderr(&noexec));
    let image = b.run(&["run", "--rm", "--pull", "never", "nosuchimage"]);
    assert_eq!(code(&image), 125);
    assert!(
        stderr(&image).contains("No such image: nosuchimage:latest"),
        "{}",
        stderr(&image)
    );
    let flag = b.run(&["run", "--no-such-flag", "busybox"]);
    assert_eq!(code(&flag), 125);
    let mem = b.run(&["run", "-m", "lots", "busybox", "true"]);
    assert_eq!(code(&mem), 125);
    // Nothing half-made by the failures.
    assert_eq!(b.ok(&["ps", "-aq"]), "");
}

#[test]
fn image_defaults_and_flags_reach_the_process() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let out = b.ok(&[
        "run",
        "--rm",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-u",
        "1000",
        "-h",
        "myhost",
        "busybox",
        "sh",
        "-c",
        "echo $FOO $(pwd) $(id -u) $(hostname) $HOSTNAME",
    ]);
    assert_eq!(out, "bar /tmp 1000 myhost myhost\n");
    // The image's CMD (sh) with stdin closed exits 0 at once.
    assert_eq!(b.ok(&["run", "--rm", "busybox"]), "");
    // Docker's default capability set (14 capabilities).
    let caps = b.ok(&[
        "run",
        "--rm",
        "busybox",
        "grep",
        "CapEff",
        "/proc/self/status",
    ]);
    assert_eq!(
        caps.split_whitespace().nth(1),
        Some("00000000a80425fb"),
        "{caps}"
    );
    // /dev/shm is 64 MiB.
    let shm = b.ok(&["run", "--rm", "busybox", "df", "-k", "/dev/shm"]);
    assert!(shm.contains("65536"), "{shm}");
    // /etc/hostname, /etc/hosts, /etc/resolv.conf are there.
    let hosts = b.ok(&[
        "run",
        "--rm",
        "-h",
        "web",
        "busybox",
        "cat",
        "/etc/hosts",
        "/etc/hostname",
    ]);
    assert!(
        hosts.contains("127.0.0.1\tlocalhost") && hosts.contains("web"),
        "{hosts}"
    );
    // --read-only refuses writes; --tmpfs gives a writable dir.
    assert_ne!(
        code(&b.run(&["run", "--rm", "--read-only", "busybox", "touch", "/x"])),
        0
    );
    b.ok(&[
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/scratch",
        "busybox",
        "touch",
        "/scratch/x",
    ]);
    // A pid namespace of its own: the command is PID 1.
    assert_eq!(
        b.ok(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]),
        "1\n"
    );
}

#[test]
fn memory_limit_kills_and_pids_limit_holds() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let oom = b.run(&[
        "run",
        "--rm",
        "-m",
        "64m",
        "--memory-swap",
        "64m",
        "busybox",
        "sh",
        "-c",
        "head -c 200m /dev/zero | tail > /dev/null",
    ]);
    assert_ne!(code(&oom), 0, "a 200 MiB tail should not fit in 64 MiB");
    // The kernel's OOM kill shows in inspect and as an `oom` event, as Docker's.
    let killed = b.run(&[
        "run",
        "--name",
        "oomed",
        "-m",
        "32m",
        "--memory-swap",
        "32m",
        "busybox",
        "sh",
        "-c",
        "exec tail /dev/zero",
    ]);
    assert_eq!(code(&killed), 137, "{}", stderr(&killed));
    assert_eq!(
        b.ok(&[
            "inspect",
            "-f",
            "{{.State.OOMKilled}} {{.State.ExitCode}}",
            "oomed"
        ]),
        "true 137\n"
    );
    let events = b.ok(&[
        "events",
        "--since",
        "0",
        "--until",
        "0s",
        "--filter",
        "event=oom",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]);
    // The 200 MiB `--rm` container above was OOM-killed too.
    assert_eq!(events.lines().last(), Some("oom oomed"), "{events}");
    assert_eq!(events.lines().count(), 2, "{events}");
    b.ok(&["run", "--name", "calm", "-m", "32m", "busybox", "true"]);
    assert_eq!(
        b.ok(&["inspect", "-f", "{{.State.OOMKilled}}", "calm"]),
        "false\n"
    );
    let fits = b.run(&[
        "run",
        "--rm",
        "-m",
        "64m",
        "busybox",
        "sh",
        "-c",
        "head -c 20m /dev/zero | tail > /dev/null",
    ]);
    assert_eq!(code(&fits), 0, "{}", stderr(&fits));
    let pids = b.run(&[
        "run",
        "--rm",
        "--pids-limit",
        "5",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait",
    ]);
    assert!(
        stderr(&pids).contains("fork") || code(&pids) != 0,
        "{}",
        stderr(&pids)
    );
}

#[test]
fn name_in_use_and_bad_names_are_refused() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&["create", "--name", "one", "busybox", "true"]);
    let again = b.run(&["create", "--name", "one", "busybox", "true"]);
    assert_eq!(code(&again), 125);
    assert!(
        stderr(&again).contains("is already in use by container"),
        "{}",
        stderr(&again)
    );
    let bad = b.run(&["create", "--name", "-x", "busybox", "true"]);
    assert_eq!(code(&bad), 125);
    assert_eq!(b.ok(&["ps", "-aq"]).lines().count(), 1);
}

#[test]
fn format_templates_are_go_templates() {
    if skip() {
        return;
    }
    let b = Berth::new();
    b.ok(&[
        "run", "-d", "--name", "tpl", "-e", "A=1", "-e", "B=two", "--label", "k=v", "--label",
        "com.x=y", "busybox", "sleep", "60",
    ]);
    assert_eq!(
        b.inspect("tpl", "{{json .Config.Cmd}}"),
        r#"["sleep","60"]"#
    );
    assert_eq!(b.inspect("tpl", "{{.Config.Cmd}}"), "[sleep 60]");
    let env = b.inspect("tpl", "{{range .Config.Env}}{{.}};{{end}}");
    assert!(env.contains("A=1;B=two;"), "{env}");
    assert_eq!(
        b.inspect(
            "tpl",
            r#"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}"#
        ),
        "com.x=y,k=v,"
    );
    assert_eq!(b.inspect("tpl", r#"{{index .Config.Labels "k"}}"#), "v");
    assert_eq!(
        b.inspect("tpl", r#"[{{index .Config.Labels "nope"}}]"#),
        "[]"
    );
    // The pid prints as an integer and is the running container's.
    let pid = b.inspect("tpl", "{{.State.Pid}}");
    let n: u32 = pid.parse().unwrap_or_else(|_| panic!("pid {pid:?}"));
    assert!(Path::new(&format!("/proc/{n}")).exists());
    assert_eq!(
        b.inspect(
            "tpl",
            r#"{{if .State.Running}}up{{else}}down{{end}} {{.Name | upper}}"#
        ),
        "up /TPL"
    );
    assert_eq!(
        b.ok(&[
            "ps",
            "--format",
            r#"{{.Names}} {{.Label "com.x"}} {{.Names | upper}}"#
        ]),
        "tpl y TPL\n"
    );
    // Docker's errors: a bad template is status 64; a missing field fails that object.
    let bad = b.run(&["inspect", "-f", "{{foo .Id}}", "tpl"]);
    assert_eq!(code(&bad), 64);
    assert_eq!(
        stderr(&bad),
        "template parsing error: template: :1: function \"foo\" not defined\n"
    );
    let missing = b.run(&["inspect", "-f", "{{.Nope}}", "tpl"]);
    assert_eq!(code(&missing), 1);
    assert_eq!(stdout(&missing), "\n");
    assert_eq!(
        stderr(&missing),
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n"
    );
    let ps_bad = b.run(&["ps", "--format", "{{.Nope}}"]);
    assert_eq!(code(&ps_bad), 1);
    assert!(
        stderr(&ps_bad).contains("can't evaluate field Nope in type *formatter.ContainerContext"),
        "{}",
        stderr(&ps_bad)
    );
}

/// `--rm` containers get a volatile overlay (their writable layer is thrown away, so it
/// is never synced); others keep the ordinary one.
#[test]
fn rm_containers_have_a_volatile_writable_layer() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let root_mount = |out: String| {
        out.lines()
            .find(|l| l.split(' ').nth(1) == Some("/"))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let rm = root_mount(b.ok(&["run", "--rm", "busybox", "cat", "/proc/mounts"]));
    assert!(rm.starts_with("overlay / overlay"), "{rm}");
    assert!(rm.contains("volatile"), "{rm}");
    let kept = root_mount(b.ok(&["run", "--name", "kept", "busybox", "cat", "/proc/mounts"]));
    assert!(kept.starts_with("overlay / overlay"), "{kept}");
    assert!(!kept.contains("volatile"), "{kept}");
    b.ok(&["rm", "kept"]);
}

/// The runtime compiles a seccomp profile once and loads the cached program on later
/// starts: the cached program denies what the profile denies, and a damaged cache file
/// is recompiled, never loaded.
#[test]
fn seccomp_profile_denies_from_the_cache_and_a_damaged_cache_is_recompiled() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("deny-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let denied = |round: &str| {
        let out = b.run(&[
            "run",
            "--rm",
            "--security-opt",
            &opt,
            "busybox",
            "sh",
            "-c",
            "mkdir /tmp/d 2>&1; echo alive",
        ]);
        assert_eq!(code(&out), 0, "{round}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Operation not permitted"), "{round}: {text}");
        assert!(text.ends_with("alive\n"), "{round}: {text}");
    };
    denied("compiled");
    let cache = b.root().join("run/runtime/.seccomp");
    let files: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty(), "nothing cached in {}", cache.display());
    denied("cached");
    let whole: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for (f, bytes) in files.iter().zip(&whole) {
        std::fs::write(f, &bytes[..bytes.len() / 2]).unwrap();
    }
    denied("damaged cache");
    // The damaged files were replaced by whole ones.
    for (f, bytes) in files.iter().zip(&whole) {
        assert_eq!(&std::fs::read(f).unwrap(), bytes, "{}", f.display());
    }
}

/// CVE-2019-5736: the container's processes are forks of its monitor, so the monitor runs
/// from a read-only image of itself. An fd of `/proc/PID/exe` kept past the monitor's
/// exit (as the exploit does) cannot be reopened for writing.
#[test]
fn the_monitors_binary_cannot_be_rewritten_through_proc_exe() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let id = b
        .ok(&["run", "-d", "busybox", "sleep", "100"])
        .trim()
        .to_string();
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(b.root().join("run/c").join(&id).join("state.json")).unwrap(),
    )
    .unwrap();
    let monitor = state["monitor_pid"].as_i64().expect("monitor_pid");
    let exe = nix::fcntl::open(
        format!("/proc/{monitor}/exe").as_str(),
        nix::fcntl::OFlag::O_PATH,
        nix::sys::stat::Mode::empty(),
    )
    .unwrap();
    b.ok(&["rm", "-f", &id]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{monitor}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The image is on a read-only mount: that, not "busy" (ETXTBSY while any other
    // monitor runs the same file, as in parallel tests), is what outlives every monitor.
    let read_only = nix::sys::statvfs::fstatvfs(unsafe_borrow(exe))
        .unwrap()
        .flags()
        .contains(nix::sys::statvfs::FsFlags::ST_RDONLY);
    let reopened = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{exe}"));
    let _ = nix::unistd::close(exe);
    assert!(
        read_only,
        "the monitor ran from a writable mount of its binary"
    );
    let err = reopened.map(drop).map_err(|e| e.raw_os_error());
    assert!(
        matches!(err, Err(Some(libc::EROFS | libc::ETXTBSY))),
        "the monitor's binary reopened for writing: {err:?}"
    );
}

/// A borrowed view of a raw fd this test owns.
fn unsafe_borrow<'a>(fd: std::os::fd::RawFd) -> std::os::fd::BorrowedFd<'a> {
    // SAFETY: (test) `fd` was opened by the caller and is closed only after the borrow's
    // last use.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// `--oom-score-adj` reaches the container's process, and the default is Docker's 0 (the
/// init sets it on itself when the runtime has nothing to do before it goes on).
#[test]
fn oom_score_adj_is_the_flags_and_zero_by_default() {
    if skip() {
        return;
    }
    let b = Berth::new();
    let read = |extra: &[&str]| {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["busybox", "cat", "/proc/self/oom_score_adj"]);
        b.ok(&args)
    };
    assert_eq!(read(&["--oom-score-adj", "500"]), "500\n");
    assert_eq!(read(&[]), "0\n");
}
