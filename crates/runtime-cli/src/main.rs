//! berth-runtime: the runc command line over berth's `runtime` crate.

mod cli;
mod commands;
mod log;

use clap::Parser;

/// runc's flags are single-dash long options too (`-root`, `-bundle`): accept both.
fn normalise_args() -> Vec<std::ffi::OsString> {
    std::env::args_os()
        .map(|a| match a.to_str() {
            Some(s)
                if s.len() > 2
                    && s.starts_with('-')
                    && !s.starts_with("--")
                    && s.as_bytes()[1].is_ascii_alphabetic()
                    && s[1..].split('=').next().is_some_and(|n| {
                        n.len() > 1
                            && n.contains(|c: char| c.is_ascii_lowercase())
                            && commands::LONG_FLAGS.contains(&n)
                    }) =>
            {
                format!("-{s}").into()
            }
            _ => a,
        })
        .collect()
}

fn main() {
    let cli = match cli::Cli::try_parse_from(normalise_args()) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    log::init(cli.log.as_deref(), &cli.log_format, cli.debug);
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            log::error(&e);
            1
        }
    };
    std::process::exit(code);
}
