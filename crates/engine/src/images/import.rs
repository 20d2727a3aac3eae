//! `import`: a rootfs tarball (plain, gzip or zstd; a file or stdin) → a one-layer image,
//! with Dockerfile-style `--change` instructions applied to its config.

use std::io::{Read, Write};

use serde_json::{json, Map, Value};

use super::layers::{decompressed, ensure_layer, Hashing};
use super::{now_unix, ImageService};
use crate::db::{ImageRecord, NewImage};
use crate::error::{EngineError, Result};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The name to give the image (`busybox` = `docker.io/library/busybox:latest`).
    pub reference: Option<String>,
    /// Dockerfile instructions: `CMD ["/bin/sh"]`, `ENV A=b`, `WORKDIR /w`, …
    pub changes: Vec<String>,
    /// `docker import -m`.
    pub message: Option<String>,
    /// Shown in the history comment: `-` for stdin, else the file name.
    pub source_name: String,
}

impl ImageService {
    /// Import a rootfs tar read from `input`. Returns the new image id (`sha256:…`).
    pub fn import(&mut self, input: impl Read, opts: &ImportOptions) -> Result<String> {
        // Parse the name and the changes before reading anything.
        let name = match &opts.reference {
            Some(r) => Some(image::Reference::parse(r)?),
            None => None,
        };
        let mut config_section = Map::new();
        for c in &opts.changes {
            parse_change(c, &mut config_section)?;
        }

        let _lock = self.lock_for_writing()?;
        // Spool the plain tar to a temp file, hashing it: the layer blob is the plain tar,
        // so its digest is also the diff id.
        let import_err = |reason: String| EngineError::Import {
            source_name: opts.source_name.clone(),
            reason,
        };
        let mut tmp = tempfile_in(&self.root.tmp_dir())?;
        let plain = decompressed(input).map_err(|e| import_err(e.to_string()))?;
        let mut hashing = Hashing::new(plain);
        std::io::copy(&mut hashing, &mut tmp.1).map_err(|e| import_err(e.to_string()))?;
        tmp.1.flush().map_err(|e| import_err(e.to_string()))?;
        let size = hashing.bytes;
        let diff_id = hashing.digest();
        if size == 0 {
            return Err(import_err(
                "empty input: expected a tar archive of a root filesystem".into(),
            ));
        }
        let diff = image::digest::parse(&diff_id)?;
        let file = std::fs::File::open(&tmp.0).map_err(|e| EngineError::io("open", &tmp.0, e))?;
        let stored = self.store.ingest_reader(
            image::Expected {
                digest: diff.clone(),
                size: Some(size),
            },
            file,
        );
        let _ = std::fs::remove_file(&tmp.0);
        stored?;
        let (layer, _) =
            ensure_layer(&self.root, &self.db, &self.store, &diff, &diff_id, &diff_id)?;

        let created = humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string();
        let platform = image::PlatformSpec::host();
        let comment = match &opts.message {
            Some(m) => m.clone(),
            None => format!("Imported from {}", opts.source_name),
        };
        let mut config = json!({
            "architecture": platform.arch,
            "os": platform.os,
            "created": created,
            "config": Value::Object(config_section),
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": created, "created_by": "", "comment": comment}],
        });
        if let Some(v) = &platform.variant {
            config["variant"] = json!(v);
        }
        let config_bytes = serde_json::to_vec(&config).map_err(|e| import_err(e.to_string()))?;
        let config_digest = self.store.put(&config_bytes)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest.to_string(), "size": config_bytes.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": diff_id, "size": size}],
        });
        let manifest_bytes =
            serde_json::to_vec(&manifest).map_err(|e| import_err(e.to_string()))?;
        let manifest_digest = self.store.put(&manifest_bytes)?;
        let id = config_digest.to_string();
        self.db.insert_image(&NewImage {
            record: ImageRecord {
                id: id.clone(),
                manifest_digest: manifest_digest.to_string(),
                created: Some(created),
                size: layer.size,
                os: platform.os.clone(),
                arch: platform.arch.clone(),
                added: now_unix(),
            },
            names: name.iter().map(|n| n.to_string()).collect(),
            layers: vec![layer],
            blobs: vec![id.clone(), manifest_digest.to_string(), diff_id],
        })?;
        self.emit_image(
            "import",
            &id,
            &name.as_ref().map(|n| n.familiar()).unwrap_or_default(),
        );
        Ok(id)
    }
}

fn tempfile_in(dir: &std::path::Path) -> Result<(std::path::PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!("import-{}-{}-{i}", std::process::id(), now_unix()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(EngineError::io("create", p, e)),
        }
    }
    Err(EngineError::io(
        "create",
        dir,
        std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    ))
}

/// Apply one Dockerfile instruction to the `config` section of an image config (OCI field
/// names, which are Docker's: `Cmd`, `Env`, …).
pub fn parse_change(change: &str, config: &mut Map<String, Value>) -> Result<()> {
    let bad = |reason: &str| EngineError::BadChange {
        change: change.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = change.trim();
    let (instr, rest) = trimmed
        .split_once(char::is_whitespace)
        .map(|(a, b)| (a, b.trim()))
        .unwrap_or((trimmed, ""));
    if rest.is_empty() {
        return Err(bad("missing arguments"));
    }
    // JSON form `["a","b"]`, else the shell form `/bin/sh -c "<rest>"`.
    let exec_or_shell = || -> Value {
        match serde_json::from_str::<Vec<String>>(rest) {
            Ok(v) => json!(v),
            Err(_) => json!(["/bin/sh", "-c", rest]),
        }
    };
    match instr.to_ascii_uppercase().as_str() {
        "CMD" => {
            config.insert("Cmd".into(), exec_or_shell());
        }
        "ENTRYPOINT" => {
            config.insert("Entrypoint".into(), exec_or_shell());
        }
        "WORKDIR" => {
            config.insert("WorkingDir".into(), json!(rest));
        }
        "USER" => {
            config.insert("User".into(), json!(rest));
        }
        "STOPSIGNAL" => {
            config.insert("StopSignal".into(), json!(rest));
        }
        "ENV" => {
            let pairs = key_values(rest).ok_or_else(|| bad("expected KEY=VALUE or KEY VALUE"))?;
            let env = config.entry("Env").or_insert_with(|| json!([]));
            if let Value::Array(list) = env {
                for (k, v) in pairs {
                    let prefix = format!("{k}=");
                    list.retain(|e| !e.as_str().is_some_and(|s| s.starts_with(&prefix)));
                    list.push(json!(format!("{k}={v}")));
                }
            }
        }
        "LABEL" => {
            let pairs = key_values(rest).ok_or_else(|| bad("expected KEY=VALUE"))?;
            let labels = config.entry("Labels").or_insert_with(|| json!({}));
            for (k, v) in pairs {
                labels[k] = json!(v);
            }
        }
        "EXPOSE" => {
            let ports = config.entry("ExposedPorts").or_insert_with(|| json!({}));
            for p in rest.split_whitespace() {
                let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                if port.parse::<u16>().is_err() || !matches!(proto, "tcp" | "udp" | "sctp") {
                    return Err(bad("expected PORT[/tcp|udp|sctp]"));
                }
                ports[format!("{port}/{proto}")] = json!({});
            }
        }
        "VOLUME" => {
            let list = match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) => v,
                Err(_) => rest.split_whitespace().map(str::to_string).collect(),
            };
            let vols = config.entry("Volumes").or_insert_with(|| json!({}));
            for v in list {
                vols[v] = json!({});
            }
        }
        _ => return Err(bad("unknown or unsupported instruction")),
    }
    Ok(())
}

/// `A=1 B="two words"` or the legacy `A one value`.
fn key_values(s: &str) -> Option<Vec<(String, String)>> {
    let first = s.split_whitespace().next()?;
    if !first.contains('=') {
        let (k, v) = s.split_once(char::is_whitespace)?;
        return Some(vec![(k.to_string(), v.trim().to_string())]);
    }
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return None;
        }
        let mut val = String::new();
        let mut quote = None;
        while let Some(&c) = chars.peek() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    chars.next();
                    if let Some(n) = chars.peek() {
                        val.push(*n);
                    }
                }
                _ => val.push(c),
            }
            chars.next();
        }
        out.push((key, val));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(changes: &[&str]) -> Value {
        let mut m = Map::new();
        for c in changes {
            parse_change(c, &mut m).unwrap();
        }
        Value::Object(m)
    }

    #[test]
    fn changes_map_to_config_fields() {
        let c = apply(&[
            r#"CMD ["/bin/sh","-c","echo hi"]"#,
            "ENTRYPOINT /bin/run me",
            "ENV PATH=/bin A=\"x y\"",
            "ENV B two words",
            "WORKDIR /w",
            "USER 1000:1000",
            "EXPOSE 80 53/udp",
            "LABEL a=b",
        ]);
        assert_eq!(c["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
        assert_eq!(c["Entrypoint"], json!(["/bin/sh", "-c", "/bin/run me"]));
        assert_eq!(c["Env"], json!(["PATH=/bin", "A=x y", "B=two words"]));
        assert_eq!(c["WorkingDir"], json!("/w"));
        assert_eq!(c["User"], json!("1000:1000"));
        assert_eq!(c["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(c["Labels"], json!({"a": "b"}));
    }

    #[test]
    fn bad_changes_are_refused() {
        let mut m = Map::new();
        for c in ["RUN echo", "CMD", "EXPOSE http", "ENV =x"] {
            assert!(parse_change(c, &mut m).is_err(), "{c}");
        }
    }
}
