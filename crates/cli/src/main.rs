//! `berth`: the Docker-compatible command line. Parses flags, calls one engine function per
//! verb (`commands/<verb>.rs`) and maps errors to Docker's messages and exit codes.
#![forbid(unsafe_code)]

mod commands;
mod format;
mod global;
mod progress;
mod relay;
mod template;

pub use global::Global;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::network;
use commands::{
    container, events, history, images, import, info, inspect, load, login, logout, prune, ps,
    pull, push, rm, rmi, save, system, tag, volume,
};

/// A Docker-compatible, daemonless container engine.
#[derive(Debug, Parser)]
#[command(name = "berth", version)]
struct Cli {
    /// Root of berth's state (images, layers, the state database).
    #[arg(long, global = true, env = "BERTH_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,
    /// Root of runtime state (monitor sockets, runtime state; default /run/berth, or
    /// <root>/run when --root is given).
    #[arg(long, global = true, env = "BERTH_RUN_ROOT", value_name = "DIR")]
    run_root: Option<PathBuf>,
    /// A registry to reach over plain HTTP (localhost and 127.0.0.0/8 always are). Repeatable.
    #[arg(long = "insecure-registry", global = true, value_name = "HOST[:PORT]")]
    insecure_registry: Vec<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
enum Cmd {
    #[command(flatten)]
    Verb(container::Verb),
    /// Remove one or more containers.
    Rm(rm::Args),
    /// List containers.
    Ps(ps::Args),
    /// Display system-wide information.
    Info,
    /// Show the berth version information.
    Version,
    /// Manage containers.
    #[command(subcommand)]
    Container(container::Cmd),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(volume::Cmd),
    /// Manage networks.
    #[command(subcommand)]
    Network(network::Cmd),
    /// Download an image from a registry.
    Pull(pull::Args),
    /// Upload an image to a registry.
    Push(push::Args),
    /// List images.
    Images(images::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(tag::Args),
    /// Remove one or more images.
    Rmi(rmi::Args),
    /// Import the contents from a tarball to create a filesystem image.
    Import(import::Args),
    /// Show the history of an image.
    History(history::Args),
    /// Save one or more images to a tar archive (docker-archive).
    Save(save::Args),
    /// Load images from a tar archive.
    Load(load::Args),
    /// Log in to a registry.
    Login(login::Args),
    /// Log out from a registry.
    Logout(logout::Args),
    /// Manage images.
    #[command(subcommand)]
    Image(ImageCmd),
    /// Manage berth.
    #[command(subcommand)]
    System(system::Cmd),
    /// Get real time events from the server.
    Events(events::Args),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
enum ImageCmd {
    /// List images.
    #[command(visible_alias = "list")]
    Ls(images::Args),
    /// Download an image from a registry.
    Pull(pull::Args),
    /// Upload an image to a registry.
    Push(push::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(tag::Args),
    /// Remove one or more images.
    #[command(visible_alias = "remove")]
    Rm(rmi::Args),
    /// Import the contents from a tarball to create a filesystem image.
    Import(import::Args),
    /// Show the history of an image.
    History(history::Args),
    /// Save one or more images to a tar archive (docker-archive).
    Save(save::Args),
    /// Load images from a tar archive.
    Load(load::Args),
    /// Display detailed information on one or more images.
    Inspect(inspect::Args),
    /// Remove unused images.
    Prune(prune::Args),
}

/// anyhow captures a backtrace with each error it makes when `RUST_BACKTRACE` is set, and
/// berth makes errors of ordinary outcomes (`Exit`, the container's exit code) and never
/// prints those backtraces (`{e:#}` below). A capture walks the stack with the unwinder:
/// a cost with no use, so library backtraces are off unless asked for by name. Panics
/// still print theirs with `RUST_BACKTRACE`.
fn no_error_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // Single-threaded still: nothing reads the environment concurrently.
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
}

fn main() -> ExitCode {
    no_error_backtraces();
    let _ = runtime::container::foreground::default_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 125 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let global = Global {
        root: engine::Root::from_flag_or_env(cli.root).with_run_root(cli.run_root),
        insecure_registries: cli.insecure_registry,
    };
    let result = match cli.cmd {
        Cmd::Verb(v) => container::run_verb(&global, v),
        Cmd::Rm(a) => rm::run(&global, a),
        Cmd::Ps(a) => ps::run(&global, a),
        Cmd::Info => info::info(&global),
        Cmd::Version => info::version(),
        Cmd::Container(c) => container::run(&global, c),
        Cmd::Volume(c) => volume::run(&global, c),
        Cmd::Network(c) => network::run(&global, c),
        Cmd::Pull(a) | Cmd::Image(ImageCmd::Pull(a)) => pull::run(&global, a),
        Cmd::Push(a) | Cmd::Image(ImageCmd::Push(a)) => push::run(&global, a),
        Cmd::Images(a) | Cmd::Image(ImageCmd::Ls(a)) => images::run(&global, a),
        Cmd::Tag(a) | Cmd::Image(ImageCmd::Tag(a)) => tag::run(&global, a),
        Cmd::Rmi(a) | Cmd::Image(ImageCmd::Rm(a)) => rmi::run(&global, a),
        Cmd::Import(a) | Cmd::Image(ImageCmd::Import(a)) => import::run(&global, a),
        Cmd::History(a) | Cmd::Image(ImageCmd::History(a)) => history::run(&global, a),
        Cmd::Save(a) | Cmd::Image(ImageCmd::Save(a)) => save::run(&global, a),
        Cmd::Load(a) | Cmd::Image(ImageCmd::Load(a)) => load::run(&global, a),
        Cmd::Image(ImageCmd::Inspect(a)) => inspect::run(&global, a),
        Cmd::Image(ImageCmd::Prune(a)) => prune::run(&global, a),
        Cmd::System(c) => system::run(&global, c),
        Cmd::Events(a) => events::run(&global, a),
        Cmd::Login(a) => login::run(&global, a),
        Cmd::Logout(a) => logout::run(&global, a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(commands::Exit(code)) = e.downcast_ref() {
                return ExitCode::from(*code);
            }
            if let Some(c) = e.downcast_ref::<commands::Coded>() {
                eprintln!("{}", c.msg);
                return ExitCode::from(c.code);
            }
            if let Some(commands::Failed) = e.downcast_ref() {
                // Already reported, item by item.
            } else {
                eprintln!("{e:#}");
            }
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Subcommands get their arguments late (`defer`, so that one command does not build
    /// all the others' ~1000 arguments); a doc comment on a flattened `Args` struct would
    /// then replace the command's own description in `--help`.
    #[test]
    fn deferred_subcommands_keep_their_own_description() {
        let mut cli = Cli::command();
        cli.build();
        let about = |path: &[&str]| {
            let mut c = &cli;
            for p in path {
                c = c.find_subcommand(p).expect("subcommand");
            }
            c.get_about().map(|a| a.to_string()).unwrap_or_default()
        };
        assert_eq!(
            about(&["run"]),
            "Create and run a new container from an image"
        );
        assert_eq!(about(&["create"]), "Create a new container");
        assert_eq!(
            about(&["container", "run"]),
            "Create and run a new container from an image"
        );
        assert_eq!(about(&["network", "create"]), "Create a network");
    }
}
