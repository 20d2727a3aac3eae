//! `berth exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] [--privileged] CONTAINER CMD...`.

use super::container_flags::env::{parse_env_flag, read_kv_file};
use super::{daemon, Coded, Exit};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Detached mode: run command in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Read in a file of environment variables.
    #[arg(long)]
    pub env_file: Vec<std::path::PathBuf>,
    /// Keep STDIN open even if not attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give extended privileges to the command.
    #[arg(long)]
    pub privileged: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Username or UID (format: "<name|uid>[:<group|gid>]").
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Override the key sequence for detaching a container.
    #[arg(long)]
    pub detach_keys: Option<String>,
    pub container: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    // Docker's env-file format and `-e KEY` lookup, as `run` reads them.
    let lookup = |k: &str| std::env::var(k).ok();
    let mut env = Vec::new();
    for f in &a.env_file {
        let path = f.to_string_lossy();
        env.extend(
            read_kv_file("--env-file", &path, Some(&lookup)).map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    for e in &a.env {
        env.extend(parse_env_flag(e, &lookup).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let req = engine::containers::exec::ExecRequest {
        cmd: a.command,
        env,
        user: a.user.unwrap_or_default(),
        workdir: a.workdir.unwrap_or_default(),
        tty: a.tty,
        detach: a.detach,
        privileged: a.privileged,
    };
    let mut engine = g.engine().map_err(daemon)?;
    match engine.container_exec(&a.container, &req) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Exit(super::run::exit_byte(code)).into()),
        Err(e) => Err(Coded {
            code: 1,
            msg: format!("Error response from daemon: {e}"),
        }
        .into()),
    }
}
