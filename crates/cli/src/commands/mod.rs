//! One file per verb. Each `run` prints Docker's output and returns an error whose text is
//! already Docker's message.

pub mod attach;
pub mod commit;
pub mod container;
pub mod container_flags;
pub mod cp;
pub mod create;
pub mod diff;
pub mod events;
pub mod exec;
pub mod export;
pub mod history;
pub mod images;
pub mod import;
pub mod info;
pub mod inspect;
pub mod lifecycle;
pub mod load;
pub mod login;
pub mod logout;
pub mod logs;
pub mod network;
pub mod port;
pub mod prune;
pub mod ps;
pub mod pull;
pub mod push;
pub mod rename;
pub mod rm;
pub mod rmi;
pub mod run;
pub mod save;
pub mod start;
pub mod stats;
pub mod system;
pub mod tag;
pub mod top;
pub mod update;
pub mod volume;
pub mod wait;

/// The command is done and exits with this code (the container's, for `run`/`start -a`/`wait`).
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}
impl std::error::Error for Exit {}

/// An error printed as it is, exiting with `code` (125 for what Docker's CLI reports as
/// `docker: Error response from daemon: …`).
#[derive(Debug)]
pub struct Coded {
    pub code: u8,
    pub msg: String,
}

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}
impl std::error::Error for Coded {}

/// Docker's `run`/`create` error: `berth: Error response from daemon: …` and a pointer to
/// the help, exit 125 (126/127 when the command could not be executed or found).
pub fn run_error(verb: &str, e: engine::EngineError) -> anyhow::Error {
    let code = match &e {
        engine::EngineError::Start { exit, .. } => *exit,
        _ => 125,
    };
    let text = e.to_string();
    let dot = if text.ends_with('.') { "" } else { "." };
    Coded {
        code,
        msg: format!("berth: Error response from daemon: {text}{dot}\nSee 'berth {verb} --help'."),
    }
    .into()
}

/// Marker error: the command already printed its errors (several items) and exits 1.
#[derive(Debug)]
pub struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}
impl std::error::Error for Failed {}

/// Docker's wording for what the daemon refused: `Error response from daemon: …`. A name
/// that does not parse is the client's own error in Docker and printed bare.
pub fn daemon(e: engine::EngineError) -> anyhow::Error {
    match e {
        engine::EngineError::Reference(r) => anyhow::anyhow!("{r}"),
        e => anyhow::anyhow!("Error response from daemon: {e}"),
    }
}

/// Print each `rmi`-style line.
pub fn print_remove_lines(lines: &[engine::RemoveLine], lowercase: bool) {
    for l in lines {
        let (word, what) = match l {
            engine::RemoveLine::Untagged(n) => ("Untagged", n),
            engine::RemoveLine::Deleted(n) => ("Deleted", n),
        };
        let word = if lowercase {
            word.to_lowercase()
        } else {
            word.to_string()
        };
        println!("{word}: {what}");
    }
}

/// Docker's prune prompt: prints the warning and asks; `force` skips it. `Ok(false)`: the
/// user said no (the command then does nothing and exits 0, as Docker).
pub fn confirm(warning: &str, force: bool) -> anyhow::Result<bool> {
    use std::io::{BufRead, Write};
    if force {
        return Ok(true);
    }
    print!("{warning}\nAre you sure you want to continue? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
