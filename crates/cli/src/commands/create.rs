//! `berth create [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container, not started; prints
//! its id. Pulls a missing image first (`--pull`), as Docker does.

use std::io::Write;

use engine::containers::PullPolicy;
use engine::{Engine, EngineError};

use super::container_flags::{CreateFlags, Parsed};
use super::{pull, run_error, Coded};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print usage (`-h` is `--hostname`, as in Docker).
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    #[command(flatten)]
    pub flags: CreateFlags,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Flag errors are the client's own: printed as they are, exit 125.
pub fn flag_error(verb: &str, e: impl std::fmt::Display) -> anyhow::Error {
    Coded {
        code: 125,
        msg: format!("berth: {e}\nSee 'berth {verb} --help'."),
    }
    .into()
}

/// A flag the parser refused: Docker's text for `verb`, exit 125.
pub fn flag_failure(verb: &str, e: &super::container_flags::FlagError) -> anyhow::Error {
    Coded {
        code: e.exit_code(),
        msg: e.render(verb),
    }
    .into()
}

/// Makes sure the image is here as `policy` asks, pulling it with Docker's messages.
pub fn ensure_image(
    g: &Global,
    engine: &Engine,
    image: &str,
    policy: PullPolicy,
    platform: Option<&str>,
    verb: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    let present = match engine.images().resolve(image) {
        Ok(_) => true,
        Err(EngineError::NoSuchImage { .. }) => false,
        Err(e) => return Err(run_error(verb, e)),
    };
    let pull_it = match policy {
        PullPolicy::Always => true,
        PullPolicy::Missing => !present,
        PullPolicy::Never => false,
    };
    if !pull_it {
        if !present {
            let shown = image::Reference::parse(image)
                .map(|r| r.familiar())
                .unwrap_or_else(|_| image.to_string());
            return Err(run_error(verb, EngineError::NoSuchImage { name: shown }));
        }
        return Ok(());
    }
    if !present && !quiet {
        let shown = image::Reference::parse(image)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| image.to_string());
        let _ = writeln!(std::io::stderr(), "Unable to find image '{shown}' locally");
    }
    pull::run(
        g,
        pull::Args {
            platform: platform.map(str::to_string),
            quiet,
            name: image.to_string(),
        },
    )
    .map_err(|e| Coded {
        code: 125,
        msg: format!("berth: {e:#}.\nSee 'berth {verb} --help'."),
    })?;
    Ok(())
}

/// Parses, pulls if needed, creates; returns the engine and the new container's id.
pub fn create(
    g: &Global,
    parsed: Parsed,
    verb: &str,
) -> anyhow::Result<(Engine, engine::containers::create::Created)> {
    let mut engine = g.engine().map_err(|e| run_error(verb, e))?;
    let mut req = parsed.request;
    ensure_image(
        g,
        &engine,
        &req.config.image,
        req.pull,
        req.platform.as_deref(),
        verb,
        parsed.quiet,
    )?;
    let e = &parsed.endpoint;
    if e.ipv6_address.is_some() || !e.extra_networks.is_empty() {
        return Err(flag_error(
            verb,
            "--ip6 and a second --network are not supported by berth yet",
        ));
    }
    req.endpoint = engine::containers::config::EndpointRequest {
        ipv4: e.ipv4_address,
        aliases: e.aliases.clone(),
    };
    if let Some(p) = &parsed.cidfile {
        if p.exists() {
            return Err(flag_error(
                verb,
                format!("Container ID file found, make sure the other container isn't running or delete {}", p.display()),
            ));
        }
    }
    let created = engine
        .container_create(req)
        .map_err(|e| run_error(verb, e))?;
    for w in &created.warnings {
        eprintln!("WARNING: {w}");
    }
    if let Some(p) = &parsed.cidfile {
        std::fs::write(p, &created.id).map_err(|e| {
            flag_error(
                verb,
                format!("failed to write the container ID to the file: {e}"),
            )
        })?;
    }
    Ok((engine, created))
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let parsed = a
        .flags
        .into_request(a.image, a.args)
        .map_err(|e| flag_failure("create", &e))?;
    let (_engine, created) = create(g, parsed, "create")?;
    println!("{}", created.id);
    Ok(())
}
