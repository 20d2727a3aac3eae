//! Docker's ways of showing sizes, ages and tables (go-units and text/tabwriter), and its
//! formatter's use of Go templates for `--format`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;

use crate::template::{Options, Template};

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, 3 significant digits
/// (`4.26MB`, `512B`, `1.2kB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", g3(v), UNITS[i])
}

/// Go's `%.3g` for 0 <= v < 1000.
fn g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.log10().floor() as i32;
    let decimals = (2 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.parse::<f64>().unwrap_or(0.0) >= 1000.0 {
        return "1e+03".into();
    }
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// go-units `HumanDuration` + " ago", as the CREATED column; `N/A` without a time.
pub fn since(t: Option<SystemTime>) -> String {
    let Some(t) = t else { return "N/A".into() };
    let d = SystemTime::now().duration_since(t).unwrap_or_default();
    format!("{} ago", human_duration(d.as_secs_f64()))
}

/// go-units `HumanDuration` (`5 seconds`, `About a minute`).
pub fn human_duration(secs: f64) -> String {
    let s = secs as u64;
    let minutes = (secs / 60.0) as u64;
    let hours = (secs / 3600.0 + 0.5) as u64;
    if s < 1 {
        "Less than a second".into()
    } else if s == 1 {
        "1 second".into()
    } else if s < 60 {
        format!("{s} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", (secs / 3600.0 / 24.0 / 365.0) as u64)
    }
}

/// Go's `time.Time.String()` in UTC: `2024-01-01 00:00:00 +0000 UTC`.
pub fn created_at(t: Option<SystemTime>) -> String {
    let Some(t) = t else { return String::new() };
    let s = humantime::format_rfc3339_seconds(t).to_string();
    format!(
        "{} +0000 UTC",
        s.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

/// Docker's tabwriter (minwidth 10, padding 3): every column but the last padded to its
/// widest cell + 3, at least 10.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                let w = (widths[i] + 3).max(10);
                out.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// Fill a Go template whose top-level fields come from `get` (`{{.Field}}`, with pipes and
/// functions: `{{.Field | upper}}`); `\t` and `\n` escapes are expanded as Docker's
/// formatter does. An unknown field is an error naming it.
pub fn template(tpl: &str, get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    let t = parse_format(&pre_format(tpl))?;
    let root = Value::Object(serde_json::Map::new());
    let hook = |name: &str, args: &[Value]| {
        if args.is_empty() {
            get(name).map(|s| Ok(Value::String(s)))
        } else {
            None
        }
    };
    let opts = Options {
        missing_key_error: true,
        root_fields: Some(&hook),
        ..Options::default()
    };
    t.execute_with(&root, &opts)
        .map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

/// Docker's default table of a list command: one header row (`header` names each column)
/// and one row per item (`field` of each column).
pub fn column_table<R>(
    cols: &[&str],
    header: impl Fn(&str) -> &'static str,
    rows: &[R],
    field: impl Fn(&R, &str) -> Option<String>,
) -> String {
    let mut t = vec![cols
        .iter()
        .map(|c| header(c).to_string())
        .collect::<Vec<_>>()];
    for r in rows {
        t.push(
            cols.iter()
                .map(|c| field(r, c).unwrap_or_default())
                .collect(),
        );
    }
    table(&t)
}

/// docker/cli's `Context.preFormat`: spaces trimmed, `\t` and `\n` escapes expanded.
pub fn pre_format(f: &str) -> String {
    f.trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n")
}

/// Parse a `--format` template, with Docker's `template parsing error: ` prefix.
pub fn parse_format(f: &str) -> anyhow::Result<Template> {
    Template::parse(f).map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

/// One row of a list command (`ps`, `images`, `volume ls`) through its template: `row`
/// stands for docker/cli's formatter context of Go type `go_type` (unknown fields are
/// errors), and `.Label "k"` reads `labels` when the row has them.
pub fn format_row(
    t: &Template,
    row: &Value,
    go_type: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> anyhow::Result<String> {
    let hook = |name: &str, args: &[Value]| {
        let labels = labels?;
        if name != "Label" {
            return None;
        }
        Some(match args {
            [Value::String(k)] => Ok(Value::String(labels.get(k).cloned().unwrap_or_default())),
            [_] => Err("wrong type for value; expected string".to_string()),
            _ => Err(format!(
                "wrong number of args for Label: want 1 got {}",
                args.len()
            )),
        })
    };
    let opts = Options {
        root_type: Some(go_type),
        root_fields: Some(&hook),
        ..Options::default()
    };
    t.execute_with(row, &opts)
        .map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

/// A row's fields as JSON strings, for [`format_row`].
pub fn row_of(names: &[&str], field: &dyn Fn(&str) -> Option<String>) -> Value {
    let mut m = serde_json::Map::new();
    for n in names {
        if let Some(v) = field(n) {
            m.insert((*n).to_string(), Value::String(v));
        }
    }
    Value::Object(m)
}

/// A table's header line: the template over the column names, with docker/cli's
/// `HeaderFunctions` (`{{upper .Names}}` stays `NAMES`) and `SubHeaderContext.Label`
/// (`{{.Label "com.x"}}` heads its column `x`).
pub fn format_header(t: &Template, headers: &Value) -> anyhow::Result<String> {
    let hook = |name: &str, args: &[Value]| match (name, args) {
        ("Label", [Value::String(k)]) => {
            let last = k.rsplit('.').next().unwrap_or(k);
            Some(Ok(Value::String(last.replace(['-', '_'], " "))))
        }
        _ => None,
    };
    let opts = Options {
        root_fields: Some(&hook),
        header: true,
        ..Options::default()
    };
    t.execute_with(headers, &opts)
        .map_err(|e| anyhow::anyhow!("template parsing error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        assert_eq!(human_size(4_261_552), "4.26MB");
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(1_200), "1.2kB");
        assert_eq!(human_size(12_000_000), "12MB");
        assert_eq!(human_size(123_456_789), "123MB");
    }

    #[test]
    fn durations_like_docker() {
        assert_eq!(human_duration(0.2), "Less than a second");
        assert_eq!(human_duration(30.0), "30 seconds");
        assert_eq!(human_duration(90.0), "About a minute");
        assert_eq!(human_duration(150.0), "2 minutes");
        assert_eq!(human_duration(3600.0), "About an hour");
        assert_eq!(human_duration(86400.0 * 3.0), "3 days");
        assert_eq!(human_duration(86400.0 * 365.0 * 56.0), "56 years");
    }

    #[test]
    fn table_pads_like_tabwriter() {
        let t = table(&[
            vec!["REPOSITORY".into(), "TAG".into(), "SIZE".into()],
            vec!["busybox".into(), "latest".into(), "4.26MB".into()],
        ]);
        assert_eq!(
            t,
            "REPOSITORY   TAG       SIZE\nbusybox      latest    4.26MB\n"
        );
    }

    #[test]
    fn templates() {
        let get = |f: &str| (f == "Repository").then(|| "busybox".to_string());
        assert_eq!(
            template("{{.Repository}}:{{ .Repository }}", &get).unwrap(),
            "busybox:busybox"
        );
        assert!(template("{{.Nope}}", &get).is_err());
        // Existing callers gain pipes and functions.
        assert_eq!(
            template(r"{{.Repository | upper}}\t{{len .Repository}}", &get).unwrap(),
            "BUSYBOX\t7"
        );
    }
}
