//! One file per verb. Each `run` prints Docker's output and returns an error whose text is
//! already Docker's message.

#[allow(dead_code)] // Until `run` and `create` (merged separately) call it.
pub mod container_flags;
pub mod history;
pub mod images;
pub mod import;
pub mod inspect;
pub mod load;
pub mod login;
pub mod logout;
pub mod prune;
pub mod pull;
pub mod push;
pub mod rmi;
pub mod save;
pub mod system;
pub mod tag;

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
