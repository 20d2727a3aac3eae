//! `berth container <verb>`: the container verbs under Docker's management command, plus
//! `prune` and the monitor's hidden `cleanup`.

use super::{
    attach, commit, cp, create, daemon, diff, exec, export, inspect, lifecycle, logs, port, ps,
    rename, rm, run, start, stats, top, update, wait,
};
use crate::format::human_size;
use crate::Global;

/// The container verbs Docker has both at the top level (`docker run`) and under
/// `docker container` (`docker container run`): one definition for both places.
#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum Verb {
    /// Create and run a new container from an image.
    #[command(disable_help_flag = true)]
    Run(Box<run::Args>),
    /// Create a new container.
    #[command(disable_help_flag = true)]
    Create(Box<create::Args>),
    /// Start one or more stopped containers.
    Start(start::Args),
    /// Stop one or more running containers.
    Stop(lifecycle::StopArgs),
    /// Restart one or more containers.
    Restart(lifecycle::StopArgs),
    /// Kill one or more running containers.
    Kill(lifecycle::KillArgs),
    /// Pause all processes within one or more containers.
    Pause(lifecycle::NamesArgs),
    /// Unpause all processes within one or more containers.
    Unpause(lifecycle::NamesArgs),
    /// Fetch the logs of a container.
    Logs(logs::Args),
    /// Block until one or more containers stop, then print their exit codes.
    Wait(wait::Args),
    /// Execute a command in a running container.
    Exec(exec::Args),
    /// Attach local standard input, output, and error streams to a running container.
    Attach(attach::Args),
    /// Rename a container.
    Rename(rename::Args),
    /// Display the running processes of a container.
    Top(top::Args),
    /// Display detailed information on one or more containers.
    Inspect(inspect::AnyArgs),
    /// Display a live stream of container(s) resource usage statistics.
    Stats(stats::Args),
    /// Update configuration of one or more containers.
    Update(Box<update::Args>),
    /// List port mappings or a specific mapping for the container.
    Port(port::Args),
    /// Copy files/folders between a container and the local filesystem.
    Cp(cp::Args),
    /// Inspect changes to files or directories on a container's filesystem.
    Diff(diff::Args),
    /// Create a new image from a container's changes.
    Commit(commit::Args),
    /// Export a container's filesystem as a tar archive.
    Export(export::Args),
}

/// `berth container <verb>`.
#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum Cmd {
    #[command(flatten)]
    Verb(Verb),
    /// Remove one or more containers.
    #[command(visible_alias = "remove")]
    Rm(rm::Args),
    /// List containers.
    #[command(visible_aliases = ["ps", "list"])]
    Ls(ps::Args),
    /// Remove all stopped containers.
    Prune(PruneArgs),
    /// (internal) What a container's monitor runs when it exits for good.
    #[command(hide = true)]
    Cleanup(CleanupArgs),
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CleanupArgs {
    pub id: String,
}

pub fn run_verb(g: &Global, v: Verb) -> anyhow::Result<()> {
    match v {
        Verb::Run(a) => run::run(g, *a),
        Verb::Create(a) => create::run(g, *a),
        Verb::Start(a) => start::run(g, a),
        Verb::Stop(a) => lifecycle::stop(g, a),
        Verb::Restart(a) => lifecycle::restart(g, a),
        Verb::Kill(a) => lifecycle::kill(g, a),
        Verb::Pause(a) => lifecycle::pause(g, a),
        Verb::Unpause(a) => lifecycle::unpause(g, a),
        Verb::Logs(a) => logs::run(g, a),
        Verb::Wait(a) => wait::run(g, a),
        Verb::Exec(a) => exec::run(g, a),
        Verb::Attach(a) => attach::run(g, a),
        Verb::Rename(a) => rename::run(g, a),
        Verb::Top(a) => top::run(g, a),
        Verb::Inspect(a) => inspect::run_any(g, a),
        Verb::Stats(a) => stats::run(g, a),
        Verb::Update(a) => update::run(g, *a),
        Verb::Port(a) => port::run(g, a),
        Verb::Cp(a) => cp::run(g, a),
        Verb::Diff(a) => diff::run(g, a),
        Verb::Commit(a) => commit::run(g, a),
        Verb::Export(a) => export::run(g, a),
    }
}

pub fn run(g: &Global, c: Cmd) -> anyhow::Result<()> {
    match c {
        Cmd::Verb(v) => run_verb(g, v),
        Cmd::Rm(a) => rm::run(g, a),
        Cmd::Ls(a) => ps::run(g, a),
        Cmd::Prune(a) => {
            if !super::confirm("WARNING! This will remove all stopped containers.", a.force)? {
                return Ok(());
            }
            let mut engine = g.engine().map_err(daemon)?;
            let (gone, bytes) = engine.container_prune().map_err(daemon)?;
            if !gone.is_empty() {
                println!("Deleted Containers:");
                for id in &gone {
                    println!("{id}");
                }
                println!();
            }
            println!("Total reclaimed space: {}", human_size(bytes));
            Ok(())
        }
        Cmd::Cleanup(a) => {
            let mut engine = g.engine().map_err(daemon)?;
            engine.container_cleanup(&a.id).map_err(daemon)
        }
    }
}
