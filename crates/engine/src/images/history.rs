//! `history`: the config's history entries, newest first, each non-empty one matched with
//! its layer's unpacked size.

use std::time::SystemTime;

use serde_json::Value;

use super::{parse_time, ImageService};
use crate::error::Result;

/// One line of Docker's `history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The image id on the newest entry; `None` (`<missing>`) below it, as Docker shows.
    pub id: Option<String>,
    pub created: Option<SystemTime>,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
}

impl ImageService {
    pub fn history(&self, name_or_id: &str) -> Result<Vec<HistoryEntry>> {
        let id = self.resolve(name_or_id)?;
        let config = self.config_json(&id)?;
        let layers = self.db.layers_of(&id)?;
        let mut sizes = layers.iter().map(|l| l.size);
        let text = |h: &Value, k: &str| {
            h.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut out: Vec<HistoryEntry> = config
            .get("history")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|h| {
                let empty = h
                    .get("empty_layer")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                HistoryEntry {
                    id: None,
                    created: parse_time(&text(h, "created")),
                    created_by: text(h, "created_by"),
                    size: if empty { 0 } else { sizes.next().unwrap_or(0) },
                    comment: text(h, "comment"),
                }
            })
            .collect();
        out.reverse();
        match out.first_mut() {
            Some(top) => top.id = Some(id),
            None => out.push(HistoryEntry {
                id: Some(id),
                created: None,
                created_by: String::new(),
                size: layers.iter().map(|l| l.size).sum(),
                comment: String::new(),
            }),
        }
        Ok(out)
    }
}
