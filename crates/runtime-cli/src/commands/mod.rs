//! One file per verb; each calls the runtime with what clap parsed.

mod create;
mod delete;
mod events;
mod exec;
mod features;
mod kill;
mod pause;
mod ps;
mod spec;
mod start;
mod state;
mod update;

use anyhow::{bail, Result};

use crate::cli::{Cli, Command};

/// Long options that runc also accepts with a single dash.
pub const LONG_FLAGS: &[&str] = &[
    "root",
    "log",
    "log-format",
    "debug",
    "systemd-cgroup",
    "criu",
    "rootless",
    "bundle",
    "console-socket",
    "pid-file",
    "no-pivot",
    "no-new-keyring",
    "preserve-fds",
    "detach",
    "keep",
    "all",
    "force",
    "format",
    "quiet",
    "cwd",
    "env",
    "tty",
    "user",
    "process",
    "process-label",
    "apparmor",
    "no-new-privs",
    "cap",
    "additional-gids",
    "ignore-paused",
    "resources",
    "memory",
    "memory-reservation",
    "memory-swap",
    "cpu-quota",
    "cpu-period",
    "cpu-share",
    "cpuset-cpus",
    "cpuset-mems",
    "pids-limit",
    "blkio-weight",
    "stats",
    "interval",
];

/// Runs the command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    if cli.systemd_cgroup {
        bail!("--systemd-cgroup is not supported: berth-runtime manages cgroups through cgroupfs only; drop the flag (podman: --cgroup-manager=cgroupfs)");
    }
    let root = cli.root.as_path();
    match cli.command {
        Command::Create(a) => create::create(root, a),
        Command::Run {
            create,
            detach,
            keep,
        } => create::run(root, create, detach, keep),
        Command::Start { id } => start::start(root, &id),
        Command::State { id } => state::state(root, &id),
        Command::List { format, quiet } => state::list(root, &format, quiet),
        Command::Kill { all, id, signal } => kill::kill(root, &id, &signal, all),
        Command::Delete { force, id } => delete::delete(root, &id, force),
        Command::Exec(a) => exec::exec(root, *a),
        Command::Ps {
            format,
            id,
            ps_args,
        } => ps::ps(root, &id, &format, &ps_args),
        Command::Pause { id } => pause::pause(root, &id),
        Command::Resume { id } => pause::resume(root, &id),
        Command::Update(a) => update::update(root, a),
        Command::Events {
            stats,
            interval,
            id,
        } => events::events(root, &id, stats, &interval),
        Command::Features => features::features(),
        Command::Spec { bundle } => spec::spec(&bundle, cli.rootless.as_deref() == Some("true")),
    }
}
