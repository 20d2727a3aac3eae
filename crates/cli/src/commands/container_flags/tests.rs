//! End-to-end tests of the flags through clap, with a tiny `run` command shaped as the
//! real one should be: `-h` is `--hostname`, so clap's own help flag is replaced by a
//! long-only `--help`, and IMAGE [COMMAND] [ARG...] stops flag parsing at the image.

use std::path::Path;

use clap::Parser;

use super::*;

#[derive(Debug, clap::Parser)]
#[command(name = "run", disable_help_flag = true)]
struct TestCmd {
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    #[command(flatten)]
    create: CreateFlags,
    #[command(flatten)]
    run: RunOnlyFlags,
    image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn env(k: &str) -> Option<String> {
    (k == "FROM_ENV").then(|| "yes".to_string())
}

fn parse(argv: &[&str]) -> Result<Parsed, String> {
    let mut full = vec!["run"];
    full.extend_from_slice(argv);
    let cmd = TestCmd::try_parse_from(full).map_err(|e| e.to_string())?;
    let mut p = cmd
        .create
        .into_request_in(cmd.image, cmd.args, &env, Path::new("/cwd"))
        .map_err(|e| e.to_string())?;
    cmd.run.apply(&mut p).map_err(|e| e.to_string())?;
    Ok(p)
}

fn err(argv: &[&str]) -> String {
    match parse(argv) {
        Ok(p) => panic!("{argv:?} parsed: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn clap_definition_is_valid() {
    use clap::CommandFactory;
    TestCmd::command().debug_assert();
}

#[test]
fn defaults() {
    let p = parse(&["busybox"]).unwrap();
    let c = &p.request.config;
    assert_eq!(c.image, "busybox");
    assert_eq!(c.cmd, None);
    assert_eq!(c.entrypoint, None);
    assert!(c.attach_stdout && c.attach_stderr && !c.attach_stdin);
    assert!(!c.tty && !c.open_stdin && !c.stdin_once);
    assert_eq!(p.request.pull, PullPolicy::Missing);
    assert_eq!(p.request.name, None);
    assert!(p.sig_proxy);
    assert!(!p.detach);
    let h = &p.request.host;
    assert_eq!(h.network_mode, "");
    assert_eq!(h.restart_policy.name, "");
    assert_eq!(h.init, None);
    assert_eq!(h.pids_limit, None);
    assert!(!h.auto_remove);
}

#[test]
fn interactive_tty_command_and_stop_at_image() {
    let p = parse(&["-it", "--name", "web", "busybox", "sh", "-c", "echo -i"]).unwrap();
    let c = &p.request.config;
    assert!(c.tty && c.open_stdin && c.attach_stdin && c.stdin_once);
    assert_eq!(
        c.cmd.as_deref(),
        Some(&["sh".to_string(), "-c".into(), "echo -i".into()][..])
    );
    assert_eq!(p.request.name.as_deref(), Some("web"));
    let p = parse(&["busybox", "ls", "-l"]).unwrap();
    assert_eq!(
        p.request.config.cmd.as_deref().map(<[String]>::len),
        Some(2)
    );
    assert!(!p.request.config.tty);
}

#[test]
fn detach_clears_attach() {
    let p = parse(&["-d", "-i", "busybox"]).unwrap();
    let c = &p.request.config;
    assert!(p.detach);
    assert!(c.open_stdin);
    assert!(!c.attach_stdin && !c.attach_stdout && !c.attach_stderr && !c.stdin_once);
    assert_eq!(
        err(&["-d", "-a", "stdout", "busybox"]),
        "conflicting options: cannot specify both --attach and --detach"
    );
    let p = parse(&["-a", "STDERR", "busybox"]).unwrap();
    assert!(!p.request.config.attach_stdout && p.request.config.attach_stderr);
    assert_eq!(
        err(&["-a", "foo", "busybox"]),
        "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR"
    );
}

#[test]
fn booleans_take_optional_values() {
    let p = parse(&[
        "--rm=false",
        "--sig-proxy=false",
        "--init",
        "--read-only=true",
        "busybox",
    ])
    .unwrap();
    assert!(!p.request.host.auto_remove);
    assert!(!p.sig_proxy);
    assert_eq!(p.request.host.init, Some(true));
    assert!(p.request.host.readonly_rootfs);
    let p = parse(&["--init=false", "busybox"]).unwrap();
    assert_eq!(p.request.host.init, Some(false));
    assert_eq!(
        err(&["--rm=maybe", "busybox"]),
        "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax"
    );
}

#[test]
fn sizes_and_cpus() {
    let p = parse(&[
        "-m",
        "64m",
        "--memory-swap",
        "-1",
        "--memory-reservation",
        "32M",
        "--shm-size",
        "1g",
        "--cpus",
        "1.5",
        "-c",
        "512",
        "--cpuset-cpus",
        "0-1",
        "--pids-limit",
        "100",
        "busybox",
    ])
    .unwrap();
    let h = &p.request.host;
    assert_eq!(h.memory, 64 << 20);
    assert_eq!(h.memory_swap, -1);
    assert_eq!(h.memory_reservation, 32 << 20);
    assert_eq!(h.shm_size, 1 << 30);
    assert_eq!(h.nano_cpus, 1_500_000_000);
    assert_eq!(h.cpu_shares, 512);
    assert_eq!(h.cpuset_cpus, "0-1");
    assert_eq!(h.pids_limit, Some(100));
    assert_eq!(
        err(&["-m", "abc", "busybox"]),
        "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"
    );
    assert_eq!(
        err(&["--cpus", "x", "busybox"]),
        "invalid argument \"x\" for \"--cpus\" flag: failed to parse x as a rational number"
    );
    assert_eq!(
        err(&["--cpu-shares", "lots", "busybox"]),
        "invalid argument \"lots\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"lots\": invalid syntax"
    );
    assert_eq!(
        err(&["-m", "1m", "busybox"]),
        "Error response from daemon: Minimum memory limit allowed is 6MB"
    );
    assert_eq!(
        err(&["--cpus", "1", "--cpu-quota", "50000", "busybox"]),
        "Error response from daemon: Conflicting options: Nano CPUs and CPU Quota cannot both be set"
    );
}

#[test]
fn ports() {
    let p = parse(&[
        "-p",
        "127.0.0.1:8080:80/udp",
        "-p",
        "9000-9001:90-91",
        "-P",
        "--expose",
        "7000",
        "busybox",
    ])
    .unwrap();
    let h = &p.request.host;
    assert!(h.publish_all_ports);
    assert_eq!(h.port_bindings["80/udp"][0].host_ip, "127.0.0.1");
    assert_eq!(h.port_bindings["80/udp"][0].host_port, "8080");
    assert_eq!(h.port_bindings["91/tcp"][0].host_port, "9001");
    let exposed: Vec<&str> = p
        .request
        .config
        .exposed_ports
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(exposed, ["7000/tcp", "80/udp", "90/tcp", "91/tcp"]);
}

#[test]
fn volumes_mounts_tmpfs() {
    let p = parse(&[
        "-v",
        "/data",
        "-v",
        "/src:/dst:ro",
        "-v",
        "./rel:/r",
        "--mount",
        "type=tmpfs,target=/scratch,tmpfs-size=64m",
        "--tmpfs",
        "/run:size=1m",
        "busybox",
    ])
    .unwrap();
    assert!(p.request.config.volumes.contains_key("/data"));
    assert_eq!(p.request.host.binds, ["/src:/dst:ro", "/cwd/rel:/r"]);
    assert_eq!(p.request.host.mounts[0].target, "/scratch");
    assert_eq!(p.request.host.tmpfs["/run"], "size=1m");
    assert_eq!(
        err(&["-v", "/a:rel", "busybox"]),
        "Error response from daemon: invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"
    );
}

#[test]
fn env_and_labels() {
    let dir = std::env::temp_dir().join(format!("berth-flags-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("env");
    std::fs::write(&file, "# c\nA=file\nB=file\nFROM_ENV\nUNSET\n").unwrap();
    let lfile = dir.join("labels");
    std::fs::write(&lfile, "team=db\nbare\n").unwrap();
    let f = file.to_string_lossy().to_string();
    let l = lfile.to_string_lossy().to_string();
    let p = parse(&[
        "--env-file",
        &f,
        "-e",
        "B=flag",
        "-e",
        "FROM_ENV",
        "-e",
        "UNSET_TOO",
        "-l",
        "x=1",
        "--label-file",
        &l,
        "--label",
        "y",
        "busybox",
    ])
    .unwrap();
    assert_eq!(
        p.request.config.env,
        ["A=file", "B=file", "FROM_ENV=yes", "B=flag", "FROM_ENV=yes"]
    );
    let labels = &p.request.config.labels;
    assert_eq!(labels["x"], "1");
    assert_eq!(labels["y"], "");
    assert_eq!(labels["team"], "db");
    assert!(!labels.contains_key("bare"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        err(&["--env-file", "/nonexistent/env", "busybox"]),
        "--env-file: open /nonexistent/env: no such file or directory"
    );
}

#[test]
fn restart() {
    let p = parse(&["--restart", "on-failure:3", "busybox"]).unwrap();
    assert_eq!(p.request.host.restart_policy.name, "on-failure");
    assert_eq!(p.request.host.restart_policy.maximum_retry_count, 3);
    assert_eq!(
        err(&["--restart", "always", "--rm", "busybox"]),
        "conflicting options: cannot specify both --restart and --rm"
    );
    assert!(parse(&["--restart", "no", "--rm", "busybox"]).is_ok());
}

#[test]
fn ulimits_health_devices_security() {
    let p = parse(&[
        "--ulimit",
        "nofile=10:20",
        "--health-cmd",
        "true",
        "--health-interval",
        "1m30s",
        "--health-retries",
        "3",
        "--device",
        "/dev/fuse",
        "--security-opt",
        "no-new-privileges",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "ALL",
        "busybox",
    ])
    .unwrap();
    let h = &p.request.host;
    assert_eq!((h.ulimits[0].soft, h.ulimits[0].hard), (10, 20));
    assert_eq!(h.devices[0].path_in_container, "/dev/fuse");
    assert_eq!(h.devices[0].cgroup_permissions, "rwm");
    assert_eq!(h.security_opt, ["no-new-privileges"]);
    assert_eq!(h.cap_add, ["NET_ADMIN"]);
    let hc = p.request.config.healthcheck.clone().unwrap();
    assert_eq!(hc.test, ["CMD-SHELL", "true"]);
    assert_eq!(hc.interval, 90_000_000_000);
    assert_eq!(hc.retries, 3);
    let p = parse(&["--no-healthcheck", "busybox"]).unwrap();
    assert_eq!(p.request.config.healthcheck.unwrap().test, ["NONE"]);
}

#[test]
fn entrypoint_workdir_user() {
    let p = parse(&["--entrypoint", "", "busybox"]).unwrap();
    assert_eq!(p.request.config.entrypoint, Some(vec![]));
    let p = parse(&[
        "--entrypoint=/bin/sh",
        "-w",
        "/srv",
        "-u",
        "1000:1000",
        "-h",
        "box",
        "busybox",
    ])
    .unwrap();
    let c = &p.request.config;
    assert_eq!(c.entrypoint, Some(vec!["/bin/sh".to_string()]));
    assert_eq!(c.working_dir, "/srv");
    assert_eq!(c.user, "1000:1000");
    assert_eq!(c.hostname, "box");
    assert_eq!(
        err(&["-w", "rel", "busybox"]),
        "Error response from daemon: the working directory 'rel' is invalid, it needs to be an absolute path"
    );
}

#[test]
fn network_and_namespaces() {
    let p = parse(&[
        "--net",
        "mynet",
        "--network-alias",
        "db",
        "--ip",
        "10.1.0.5",
        "--mac-address",
        "92:d0:c6:0a:29:33",
        "--dns",
        "1.1.1.1",
        "--dns-search",
        "example.com",
        "--dns-opt",
        "ndots:2",
        "--add-host",
        "h=10.0.0.1",
        "--pid",
        "host",
        "--ipc",
        "shareable",
        "--uts",
        "host",
        "--userns",
        "host",
        "busybox",
    ])
    .unwrap();
    let h = &p.request.host;
    assert_eq!(h.network_mode, "mynet");
    assert_eq!(p.endpoint.aliases, ["db"]);
    assert_eq!(
        p.endpoint.ipv4_address.map(|a| a.to_string()).as_deref(),
        Some("10.1.0.5")
    );
    assert_eq!(p.endpoint.mac_address.as_deref(), Some("92:d0:c6:0a:29:33"));
    assert_eq!(h.dns, ["1.1.1.1"]);
    assert_eq!(h.dns_search, ["example.com"]);
    assert_eq!(h.dns_options, ["ndots:2"]);
    assert_eq!(h.extra_hosts, ["h:10.0.0.1"]);
    assert_eq!(
        (h.pid_mode.as_str(), h.ipc_mode.as_str()),
        ("host", "shareable")
    );
    assert_eq!(
        err(&["--network-alias", "db", "busybox"]),
        "network-scoped aliases are only supported for user-defined networks"
    );
    assert_eq!(
        err(&["--pid", "bogus", "busybox"]),
        "--pid: invalid PID mode"
    );
}

#[test]
fn misc_flags() {
    let p = parse(&[
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=10m",
        "--pull",
        "never",
        "--platform",
        "linux/amd64",
        "--cidfile",
        "/tmp/cid",
        "--stop-signal",
        "SIGINT",
        "--stop-timeout",
        "5",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--group-add",
        "audio",
        "--oom-score-adj",
        "-500",
        "--cgroup-parent",
        "/berth",
        "--runtime",
        "berth-runtime",
        "--privileged",
        "--detach-keys",
        "ctrl-x",
        "-q",
        "busybox",
    ])
    .unwrap();
    let (c, h) = (&p.request.config, &p.request.host);
    assert_eq!(h.log_config.config["max-size"], "10m");
    assert_eq!(p.request.pull, PullPolicy::Never);
    assert_eq!(p.request.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(p.cidfile.as_deref(), Some(Path::new("/tmp/cid")));
    assert_eq!(h.container_i_d_file, "/tmp/cid");
    assert_eq!(c.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(c.stop_timeout, Some(5));
    assert_eq!(h.sysctls["net.ipv4.ip_forward"], "1");
    assert_eq!(h.group_add, ["audio"]);
    assert_eq!(h.oom_score_adj, -500);
    assert!(h.privileged);
    assert_eq!(p.detach_keys.as_deref(), Some("ctrl-x"));
    assert!(p.quiet);
    assert_eq!(
        err(&["--pull", "sometimes", "busybox"]),
        "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""
    );
    assert_eq!(
        err(&["--sysctl", "kernel.foo=1", "busybox"]),
        "invalid argument \"kernel.foo=1\" for \"--sysctl\" flag: sysctl 'kernel.foo=1' is not allowed"
    );
    assert_eq!(
        err(&["--gpus", "all", "busybox"]),
        "--gpus is not supported by berth"
    );
    assert_eq!(
        err(&["--name", "-bad", "busybox"]),
        "Error response from daemon: Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    );
}

#[test]
fn unknown_flag_is_claps_error() {
    assert!(err(&["--no-such-flag", "busybox"]).contains("--no-such-flag"));
}
