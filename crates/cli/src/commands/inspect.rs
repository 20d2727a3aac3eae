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
    match &a.format {
        Some(f) => {
            for v in &found {
                let get = |field: &str| {
                    let ptr = format!("/{}", field.replace('.', "/"));
                    v.pointer(&ptr).map(|x| match x {
                        serde_json::Value::String(s) => s.clone(),
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
    for e in &errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        return Err(Failed.into());
    }
    Ok(())
}
