//! `docker image inspect`'s JSON shape, built from the DB row and the config blob.

use serde_json::{json, Map, Value};

use super::ImageService;
use crate::error::{EngineError, Result};

impl ImageService {
    /// One element of Docker's `image inspect` array.
    pub fn inspect(&self, name_or_id: &str) -> Result<Value> {
        let id = self.resolve(name_or_id)?;
        let rec = self
            .db
            .image(&id)?
            .ok_or_else(|| EngineError::NoSuchImage {
                name: name_or_id.to_string(),
            })?;
        let summary = self.summary(rec.clone())?;
        let config = self.config_json(&id)?;
        let field = |k: &str| {
            config
                .get(k)
                .cloned()
                .unwrap_or(Value::String(String::new()))
        };
        let layers = config
            .pointer("/rootfs/diff_ids")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let mut out = Map::new();
        out.insert("Id".into(), json!(id));
        out.insert("RepoTags".into(), json!(summary.repo_tags));
        out.insert("RepoDigests".into(), json!(summary.repo_digests));
        out.insert("Parent".into(), json!(""));
        out.insert("Comment".into(), json!(last_comment(&config)));
        out.insert("Created".into(), json!(rec.created.unwrap_or_default()));
        out.insert("DockerVersion".into(), json!(""));
        out.insert("Author".into(), field("author"));
        out.insert(
            "Config".into(),
            config.get("config").cloned().unwrap_or(Value::Null),
        );
        out.insert("Architecture".into(), json!(rec.arch));
        if let Some(v) = config.get("variant") {
            out.insert("Variant".into(), v.clone());
        }
        out.insert("Os".into(), json!(rec.os));
        out.insert("Size".into(), json!(rec.size));
        let dirs: Vec<String> = self
            .db
            .layers_of(&id)?
            .iter()
            .map(|l| self.root.dir().join(&l.dir).display().to_string())
            .collect();
        out.insert(
            "GraphDriver".into(),
            json!({"Name": "overlay2", "Data": {"LowerDirs": dirs.join(":")}}),
        );
        out.insert("RootFS".into(), json!({"Type": "layers", "Layers": layers}));
        out.insert(
            "Metadata".into(),
            json!({"LastTagTime": "0001-01-01T00:00:00Z"}),
        );
        Ok(Value::Object(out))
    }
}

fn last_comment(config: &Value) -> String {
    config
        .get("history")
        .and_then(Value::as_array)
        .and_then(|h| h.last())
        .and_then(|h| h.get("comment"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
