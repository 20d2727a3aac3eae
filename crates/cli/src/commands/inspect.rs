//! `berth image inspect IMAGE...`: Docker's JSON array; missing images reported after it.

use super::Failed;
use crate::template::Template;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Format output using a custom Go template, e.g. '{{.Id}}' or '{{json .Config}}'.
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let tpl = check_format(a.format.as_deref())?;
    let svc = g.service()?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in &a.images {
        match svc.inspect(name) {
            Ok(v) => found.push(v),
            Err(engine::EngineError::NoSuchImage { name }) => {
                errors.push(format!("Error: No such image: {name}"))
            }
            Err(e) => errors.push(format!("Error: {e}")),
        }
    }
    report(&found, tpl.as_ref(), errors)?;
    Ok(())
}

/// Prints what was found ([`print_values`]), then every error (the lookups' first, then
/// the template's) on stderr; any error makes the command fail (exit 1), as Docker's.
pub fn report(
    found: &[serde_json::Value],
    format: Option<&Template>,
    mut errors: Vec<String>,
) -> anyhow::Result<()> {
    errors.extend(print_values(found, format)?);
    for e in &errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        return Err(Failed.into());
    }
    Ok(())
}

/// Docker's inspect output: a 4-space-indented JSON array, or one template line per value
/// (parsed by [`check_format`]). A template that fails on a value (docker/cli executes it on the raw JSON with
/// `missingkey=error`) gives that value's error, returned for the caller to report.
fn print_values(
    found: &[serde_json::Value],
    format: Option<&Template>,
) -> anyhow::Result<Vec<String>> {
    let mut errors = Vec::new();
    match format {
        Some(t) => {
            let opts = crate::template::Options {
                missing_key_error: true,
                ..Default::default()
            };
            let mut out = String::new();
            for v in found {
                match t.execute_with(v, &opts) {
                    Ok(s) => {
                        out.push_str(&s);
                        out.push('\n');
                    }
                    Err(e) => errors.push(format!("template parsing error: {e}")),
                }
            }
            // docker/cli's TemplateInspector.Flush prints a newline when nothing was.
            if out.is_empty() {
                out.push('\n');
            }
            print!("{out}");
        }
        None => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&found, &mut ser)?;
            println!("{}", String::from_utf8_lossy(&buf));
        }
    }
    Ok(errors)
}

/// Parse an inspect `--format` up front, as docker/cli does before looking anything up:
/// a bad template is `template parsing error: …` with exit status 64.
pub fn check_format(format: Option<&str>) -> anyhow::Result<Option<Template>> {
    let Some(f) = format else { return Ok(None) };
    Template::parse(f).map(Some).map_err(|e| {
        super::Coded {
            code: 64,
            msg: format!("template parsing error: {e}"),
        }
        .into()
    })
}

#[derive(Debug, clap::Args)]
pub struct AnyArgs {
    /// Format output using a custom Go template, e.g. '{{.State.Pid}}' or '{{json .Mounts}}'.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Only inspect objects of the given type (container, image, volume).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Display total file sizes if the type is container.
    #[arg(short, long)]
    pub size: bool,
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `berth inspect` / `berth container inspect`: containers first, then images, then
/// volumes (as Docker looks them up), one JSON array.
pub fn run_any(g: &Global, a: AnyArgs) -> anyhow::Result<()> {
    let tpl = check_format(a.format.as_deref())?;
    let mut engine = g.engine().map_err(super::daemon)?;
    let kind = a.kind.as_deref().unwrap_or("");
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for n in &a.names {
        if matches!(kind, "" | "container") {
            match engine.container_inspect(n) {
                Ok(v) => {
                    found.push(v);
                    continue;
                }
                Err(engine::EngineError::NoSuchContainer(_)) => {}
                Err(e) => {
                    errors.push(format!("Error response from daemon: {e}"));
                    continue;
                }
            }
        }
        if matches!(kind, "" | "image") {
            if let Ok(v) = engine.images().inspect(n) {
                found.push(v);
                continue;
            }
        }
        if matches!(kind, "" | "volume") {
            if let Ok(v) = engine.volume_inspect(n) {
                found.push(serde_json::to_value(v)?);
                continue;
            }
        }
        errors.push(match kind {
            "container" => format!("Error: No such container: {n}"),
            "image" => format!("Error: No such image: {n}"),
            _ => format!("Error: No such object: {n}"),
        });
    }
    report(&found, tpl.as_ref(), errors)?;
    Ok(())
}
