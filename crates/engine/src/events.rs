//! Docker's event stream without a daemon: every operation appends an [`Event`] to the
//! journal `<run_root>/events.jsonl` (`monitor::events`, shared with the monitor, which
//! writes `die`, restart `start` and `health_status`), and `berth events` reads it back
//! through [`read`], [`follow`] and [`EventFilter`] (Docker's daemon-side filters).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub use monitor::events::{Actor, Event, Follower};

use crate::db::ContainerRecord;
use crate::error::{EngineError, Result};
use crate::root::Root;
use crate::Engine;

/// `<run_root>/events.jsonl`.
pub fn journal(root: &Root) -> PathBuf {
    monitor::events::journal_path(root.run_dir())
}

/// Appends an event to `root`'s journal. Never fails the operation that emits it: a
/// journal that cannot be written is logged and skipped.
pub fn emit(root: &Root, ev: &Event) {
    let path = journal(root);
    let r =
        std::fs::create_dir_all(root.run_dir()).and_then(|()| monitor::events::append(&path, ev));
    if let Err(e) = r {
        tracing::warn!("append an event to {}: {e}", path.display());
    }
}

/// An event of `kind` about `id` happening now, with `attrs`.
pub fn event(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> Event {
    let attributes = attrs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    Event::new(kind, action, id, attributes)
}

/// A container's event attributes as Docker gives them: its labels, `image`, `name`.
pub fn container_attributes(c: &ContainerRecord) -> BTreeMap<String, String> {
    let mut a = c.config.labels.clone();
    a.insert("image".into(), c.config.image.clone());
    a.insert("name".into(), c.name.clone());
    a
}

impl Engine {
    /// Records `ev` in the journal (see [`emit`]).
    pub fn emit(&self, ev: Event) {
        emit(self.root(), &ev);
    }

    /// Records a container event with the container's attributes plus `extra`.
    pub(crate) fn emit_container(&self, c: &ContainerRecord, action: &str, extra: &[(&str, &str)]) {
        let mut attrs = container_attributes(c);
        for (k, v) in extra {
            attrs.insert((*k).to_string(), (*v).to_string());
        }
        self.emit(Event::new("container", action, &c.id, attrs));
    }
}

impl crate::images::ImageService {
    /// Records an image event: `id` is what Docker puts there (a reference for
    /// pull/push, the image id otherwise), `name` the `name` attribute.
    pub(crate) fn emit_image(&self, action: &str, id: &str, name: &str) {
        let attrs: &[(&str, &str)] = if name.is_empty() {
            &[]
        } else {
            &[("name", name)]
        };
        emit(self.root(), &event("image", action, id, attrs));
    }
}

/// The journal's events, oldest first, with `since <= time <= until`.
pub fn read(
    root: &Root,
    since: Option<SystemTime>,
    until: Option<SystemTime>,
) -> Result<Vec<Event>> {
    let path = journal(root);
    let all = monitor::events::read_all(&path).map_err(|e| EngineError::io("read", &path, e))?;
    Ok(all
        .into_iter()
        .filter(|e| in_range(e, since, until))
        .collect())
}

/// Whether `e` happened within `[since, until]`.
pub fn in_range(e: &Event, since: Option<SystemTime>, until: Option<SystemTime>) -> bool {
    let t = nanos(e.time_nano);
    since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u)
}

fn nanos(n: i64) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_nanos(u64::try_from(n).unwrap_or(0))
}

/// Follows the journal from its end (events appended from now on).
pub fn follow(root: &Root) -> Result<Follower> {
    let path = journal(root);
    Follower::from_end(&path).map_err(|e| EngineError::io("open", &path, e))
}

/// Docker's event filters: values of one key are alternatives, keys must all match.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    by_key: BTreeMap<String, Vec<String>>,
}

/// The keys Docker's daemon accepts for `events --filter`.
const KEYS: [&str; 8] = [
    "container",
    "event",
    "image",
    "label",
    "type",
    "volume",
    "network",
    "scope",
];

impl EventFilter {
    /// Parses `key=value` filters; an unknown key or a missing `=` is Docker's error.
    pub fn parse(filters: &[String]) -> Result<EventFilter> {
        let mut f = EventFilter::default();
        for s in filters {
            let (k, v) = s.split_once('=').ok_or_else(|| {
                EngineError::InvalidParameter("bad format of filter (expected name=value)".into())
            })?;
            let k = k.trim().to_ascii_lowercase();
            if !KEYS.contains(&k.as_str()) {
                return Err(EngineError::InvalidParameter(format!(
                    "invalid filter '{k}'"
                )));
            }
            f.by_key.entry(k).or_default().push(v.to_string());
        }
        Ok(f)
    }

    fn any(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        self.by_key
            .get(key)
            .is_none_or(|vals| vals.iter().any(|v| pred(v)))
    }

    /// Whether `e` passes every filter (moby daemon/events/filter.go).
    pub fn matches(&self, e: &Event) -> bool {
        let attr = |k: &str| e.actor.attributes.get(k).map(String::as_str);
        let fuzzy_action = ["health_status", "exec_create", "exec_start"];
        self.any("type", |v| v == e.kind)
            && self.any("scope", |v| v == e.scope)
            && self.any("event", |v| {
                if fuzzy_action.contains(&v) {
                    e.action == v || e.action.starts_with(&format!("{v}:"))
                } else {
                    e.action == v
                }
            })
            // Docker's FuzzyMatch: a prefix of the id or of the name.
            && self.any("container", |v| {
                e.kind == "container"
                    && (e.actor.id.starts_with(v) || attr("name").is_some_and(|n| n.starts_with(v)))
            })
            && self.any("image", |v| {
                let image = if e.kind == "image" {
                    Some(e.actor.id.as_str())
                } else {
                    attr("image")
                };
                image.is_some_and(|i| same_image(i, v))
                    || (e.kind == "image" && attr("name").is_some_and(|n| same_image(n, v)))
            })
            && self.any("volume", |v| {
                (e.kind == "volume" && e.actor.id == v) || attr("volume") == Some(v)
            })
            && self.any("network", |v| e.kind == "network" && e.actor.id == v)
            && self.any("label", |v| match v.split_once('=') {
                Some((k, val)) => attr(k) == Some(val),
                None => attr(v).is_some(),
            })
    }
}

/// Image names compared Docker's way (`busybox` = `busybox:latest` =
/// `docker.io/library/busybox:latest`).
fn same_image(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let norm = |s: &str| image::Reference::parse(s).map(|r| r.to_string()).ok();
    matches!((norm(a), norm(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> Event {
        event(kind, action, id, attrs)
    }

    #[test]
    fn filters_like_docker() {
        let die = ev(
            "container",
            "die",
            "abc123",
            &[
                ("name", "web"),
                ("image", "busybox"),
                ("exitCode", "3"),
                ("tier", "front"),
            ],
        );
        let exec = ev(
            "container",
            "exec_start: sh -c true",
            "abc123",
            &[("name", "web")],
        );
        let pull = ev("image", "pull", "busybox:latest", &[("name", "busybox")]);
        let f = |v: &[&str]| {
            EventFilter::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert!(f(&[]).matches(&die));
        assert!(f(&["type=container"]).matches(&die));
        assert!(!f(&["type=image"]).matches(&die));
        assert!(f(&["event=die", "event=start"]).matches(&die));
        assert!(!f(&["event=die"]).matches(&exec));
        assert!(f(&["event=exec_start"]).matches(&exec));
        assert!(f(&["container=web"]).matches(&die));
        assert!(f(&["container=abc"]).matches(&die));
        assert!(!f(&["container=web", "type=image"]).matches(&die));
        assert!(f(&["image=busybox:latest"]).matches(&die));
        assert!(f(&["image=busybox"]).matches(&pull));
        assert!(f(&["label=tier"]).matches(&die));
        assert!(f(&["label=tier=front"]).matches(&die));
        assert!(!f(&["label=tier=back"]).matches(&die));
        assert!(EventFilter::parse(&["nope=1".to_string()]).is_err());
        assert!(EventFilter::parse(&["type".to_string()]).is_err());
    }

    #[test]
    fn time_range() {
        let e = ev("volume", "create", "v", &[]);
        let t = nanos(e.time_nano);
        assert!(in_range(&e, Some(t), Some(t)));
        assert!(!in_range(
            &e,
            Some(t + std::time::Duration::from_nanos(1)),
            None
        ));
        assert!(!in_range(
            &e,
            None,
            Some(t - std::time::Duration::from_nanos(1))
        ));
    }
}
