//! `berth cp [-a] [-L] [-q] CONTAINER:SRC_PATH DEST_PATH|-` and
//! `berth cp [-a] [-L] [-q] SRC_PATH|- CONTAINER:DEST_PATH` (Docker's cli/command/container/cp.go).

use std::io::IsTerminal;

use engine::containers::copy::{CopyDest, CopyOptions, CopySource};
use engine::EngineError;

use super::daemon;
use crate::format::human_size;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Always follow symlinks in SRC_PATH.
    #[arg(short = 'L', long = "follow-link")]
    pub follow_link: bool,
    /// Archive mode (copy all uid/gid information).
    #[arg(short, long)]
    pub archive: bool,
    /// Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached.
    #[arg(short, long)]
    pub quiet: bool,
    pub source: String,
    pub destination: String,
}

/// Docker's `splitCpArg`: `CONTAINER:PATH`, unless the argument is an absolute path or
/// starts with `.` (`./file:name` is local).
fn split_arg(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (Some(c), p),
        _ => (None, arg),
    }
}

fn cp_error(e: EngineError) -> anyhow::Error {
    match e {
        EngineError::Copy(c) if c.is_client_side() => anyhow::anyhow!("{c}"),
        e => daemon(e),
    }
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    if a.source.is_empty() {
        anyhow::bail!("source can not be empty");
    }
    if a.destination.is_empty() {
        anyhow::bail!("destination can not be empty");
    }
    let opts = CopyOptions {
        follow_link: a.follow_link,
        archive: a.archive,
    };
    // Docker prints its summary only when stdout is a terminal and -q is not given.
    let report = !a.quiet && std::io::stdout().is_terminal();
    let (src_ctr, src_path) = split_arg(&a.source);
    let (dst_ctr, dst_path) = split_arg(&a.destination);
    let mut engine = g.engine().map_err(daemon)?;
    match (src_ctr, dst_ctr) {
        (Some(c), None) => {
            if dst_path == "-" {
                let mut out = std::io::stdout();
                engine
                    .copy_from_container(c, src_path, CopyDest::Stream(&mut out), opts)
                    .map_err(cp_error)?;
                return Ok(());
            }
            let r = engine
                .copy_from_container(c, src_path, CopyDest::Host(dst_path.to_string()), opts)
                .map_err(cp_error)?;
            if report {
                eprintln!(
                    "Successfully copied {} to {}",
                    human_size(r.bytes),
                    shown_local(dst_path)
                );
            }
            Ok(())
        }
        (None, Some(c)) => {
            let r = if src_path == "-" {
                let mut input = std::io::stdin();
                engine.copy_to_container(CopySource::Stream(&mut input), c, dst_path, opts)
            } else {
                engine.copy_to_container(CopySource::Host(src_path.to_string()), c, dst_path, opts)
            }
            .map_err(cp_error)?;
            if report && src_path != "-" {
                eprintln!(
                    "Successfully copied {} to {c}:{dst_path}",
                    human_size(r.bytes)
                );
            }
            Ok(())
        }
        (Some(_), Some(_)) => anyhow::bail!("copying between containers is not supported"),
        (None, None) => anyhow::bail!("must specify at least one container source"),
    }
}

/// The absolute form Docker prints for a local destination.
fn shown_local(p: &str) -> String {
    if p.starts_with('/') {
        return p.to_string();
    }
    std::env::current_dir()
        .map(|d| d.join(p).display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_docker() {
        assert_eq!(split_arg("web:/etc/passwd"), (Some("web"), "/etc/passwd"));
        assert_eq!(split_arg("web:"), (Some("web"), ""));
        assert_eq!(split_arg("/abs/file:x"), (None, "/abs/file:x"));
        assert_eq!(split_arg("./file:x"), (None, "./file:x"));
        assert_eq!(split_arg("file"), (None, "file"));
        assert_eq!(split_arg("-"), (None, "-"));
    }
}
