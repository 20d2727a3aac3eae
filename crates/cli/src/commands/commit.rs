//! `berth commit [-a AUTHOR] [-c CHANGE]... [-m MSG] [-p] CONTAINER [REPOSITORY[:TAG]]`:
//! prints the new image's id.

use engine::containers::commit::CommitOptions;

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>").
    #[arg(short, long)]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image.
    #[arg(short, long)]
    pub change: Vec<String>,
    /// Commit message.
    #[arg(short, long, default_value = "")]
    pub message: String,
    /// Pause container during commit.
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub pause: bool,
    pub container: String,
    pub reference: Option<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let id = engine
        .container_commit(
            &a.container,
            &CommitOptions {
                reference: a.reference,
                author: a.author,
                message: a.message,
                changes: a.change,
                pause: a.pause,
            },
        )
        .map_err(daemon)?;
    println!("{id}");
    Ok(())
}
