//! `berth image inspect IMAGE...`: Docker's JSON array; missing images reported after it.

use super::Failed;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Go-template of one field path, e.g. '{{.Id}}' or '{{.Config.Cmd}}'.
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
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
    print_values(&found, a.format.as_deref())?;
    for e in &errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        return Err(Failed.into());
    }
    Ok(())
}

/// Docker's inspect output: a 4-space-indented JSON array, or one template line per value.
pub fn print_values(found: &[serde_json::Value], format: Option<&str>) -> anyhow::Result<()> {
    match format {
        Some(f) => {
            for v in found {
                let get = |field: &str| {
                    let ptr = format!("/{}", field.replace('.', "/"));
                    v.pointer(&ptr).map(|x| match x {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "<no value>".into(),
                        other => other.to_string(),
                    })
                };
                println!("{}", crate::format::template(f, &get)?);
            }
        }
        None => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&found, &mut ser)?;
            println!("{}", String::from_utf8_lossy(&buf));
        }
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct AnyArgs {
    /// Go-template of one field path, e.g. '{{.State.Status}}'.
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
    print_values(&found, a.format.as_deref())?;
    for e in &errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        return Err(Failed.into());
    }
    Ok(())
}
