//! `commit`: a container's writable layer (`storage::diff::snapshot_layer`) as a new image
//! on top of its image, with the container's config and Dockerfile-style `--change`s
//! (the parser `import --change` uses). A running container is frozen while its layer is
//! read (`--pause`, the default) and thawed afterwards, whatever happened.

use serde_json::{json, Map, Value};

use super::state::alive;
use crate::error::{EngineError, Result};
use crate::images::{parse_change, LayerImage};
use crate::Engine;

/// `commit` flags.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// `REPO[:TAG]`.
    pub reference: Option<String>,
    /// `-a`.
    pub author: Option<String>,
    /// `-m`.
    pub message: String,
    /// `-c`: `CMD ["x"]`, `ENV A=b`, …
    pub changes: Vec<String>,
    /// `-p` (default true): freeze a running container during the commit.
    pub pause: bool,
}

/// The image config keys a container's `Config` carries over (Docker's commit `merge`).
const CARRIED: [&str; 10] = [
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
    "Healthcheck",
];

/// The new image's `config`: the parent's, overridden by the container's, then the changes.
fn merged_config(parent: &Value, container: &Value, changes: &[String]) -> Result<Value> {
    let mut cfg: Map<String, Value> = parent.as_object().cloned().unwrap_or_default();
    for k in CARRIED {
        match container.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(v) => {
                cfg.insert(k.to_string(), v.clone());
            }
        }
    }
    for c in changes {
        let t = c.trim();
        // ONBUILD is kept as the trigger text, as Docker does.
        if let Some(rest) = t
            .split_once(char::is_whitespace)
            .filter(|(i, _)| i.eq_ignore_ascii_case("ONBUILD"))
            .map(|(_, r)| r.trim())
        {
            match cfg.entry("OnBuild").or_insert_with(|| json!([])) {
                Value::Array(a) => a.push(json!(rest)),
                other => *other = json!([rest]),
            }
            continue;
        }
        parse_change(c, &mut cfg)?;
    }
    Ok(Value::Object(cfg))
}

impl Engine {
    /// Commits the container's changes as a new image; returns its id (`sha256:…`).
    pub fn container_commit(&mut self, id_or_name: &str, opts: &CommitOptions) -> Result<String> {
        let c = self.container(id_or_name)?;
        if let Some(r) = &opts.reference {
            image::Reference::parse(r)?;
        }
        let parent_cfg = self.images().config_json(&c.image_id)?;
        let container_cfg =
            serde_json::to_value(&c.config).map_err(|e| EngineError::Container {
                id: c.id.clone(),
                reason: format!("serialise config: {e}"),
            })?;
        let config = merged_config(&parent_cfg["config"], &container_cfg, &opts.changes)?;

        let tmp = self.root().tmp_dir().join(format!(
            "commit-{}-{}.tar",
            super::names::short(&c.id),
            std::process::id()
        ));
        let freeze = opts.pause && c.state.status == "running" && alive(c.state.pid);
        if freeze {
            self.runtime_call(&c.id, runtime::container::pause)?;
        }
        let written = (|| -> Result<()> {
            // The mountpoints the runtime made are no content of the container (Docker
            // keeps them in its init layer).
            let except = self.runtime_made_paths(&c.id)?;
            let f = std::fs::File::create(&tmp).map_err(|e| EngineError::io("create", &tmp, e))?;
            let sn = self.snapshotter()?;
            let w = storage::diff::snapshot_layer_except(
                sn,
                &c.id,
                &except,
                std::io::BufWriter::new(f),
            )
            .map_err(|e| EngineError::Storage {
                layer: format!("container {}", c.id),
                source: e,
            })?;
            let f = w
                .into_inner()
                .map_err(|e| EngineError::io("write", &tmp, e.into_error()))?;
            f.sync_all().map_err(|e| EngineError::io("sync", &tmp, e))
        })();
        if freeze {
            let thawed = self.runtime_call(&c.id, runtime::container::resume);
            if written.is_ok() {
                thawed?;
            }
        }
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let created_by = c
            .config
            .cmd
            .as_ref()
            .map(|v| v.join(" "))
            .unwrap_or_default();
        let r = self.images_mut().add_layer_image(&LayerImage {
            parent: c.image_id.clone(),
            layer: tmp.clone(),
            config,
            author: opts.author.clone().filter(|a| !a.is_empty()),
            created_by,
            comment: opts.message.clone(),
            reference: opts.reference.clone(),
        });
        let _ = std::fs::remove_file(&tmp);
        let id = r?;
        let shown = opts.reference.clone().unwrap_or_default();
        self.emit_container(
            &c,
            "commit",
            &[
                ("comment", opts.message.as_str()),
                ("imageID", &id),
                ("imageRef", &shown),
            ],
        );
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_config_then_changes_win() {
        let parent = json!({"Cmd": ["sh"], "Env": ["PATH=/bin"], "WorkingDir": "/"});
        let container = json!({"Cmd": ["sleep", "1"], "Env": ["PATH=/bin", "A=1"], "User": "", "Image": "busybox", "Hostname": "abc"});
        let c = merged_config(
            &parent,
            &container,
            &[
                "CMD [\"echo\",\"hi\"]".into(),
                "ENV B=2".into(),
                "ONBUILD RUN true".into(),
            ],
        )
        .unwrap();
        assert_eq!(c["Cmd"], json!(["echo", "hi"]));
        assert_eq!(c["Env"], json!(["PATH=/bin", "A=1", "B=2"]));
        assert_eq!(c["WorkingDir"], json!("/"));
        assert_eq!(c["OnBuild"], json!(["RUN true"]));
        assert!(c.get("Image").is_none() && c.get("Hostname").is_none() && c.get("User").is_none());
        assert!(merged_config(&parent, &container, &["BOGUS x".into()]).is_err());
    }
}
