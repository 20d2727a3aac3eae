//! `berth images [-a] [-q] [--digests] [--no-trunc] [--format F] [REPOSITORY[:TAG]]`.

use std::collections::BTreeMap;

use engine::ImageSummary;

use super::daemon;
use crate::format::{
    column_table, created_at, format_header, format_row, human_size, parse_format, pre_format,
    row_of, since, table,
};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show all images (berth keeps no intermediate images: same as without).
    #[arg(short, long)]
    pub all: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Show digests.
    #[arg(long)]
    pub digests: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// 'json', or a Go template of {{.Field}}s: Repository, Tag, Digest, ID, CreatedSince,
    /// CreatedAt, Size.
    #[arg(long)]
    pub format: Option<String>,
    /// Filter: dangling=true|false, reference=PATTERN (e.g. 'busy*:lat*'). Repeatable.
    #[arg(short, long = "filter")]
    pub filter: Vec<String>,
    /// REPOSITORY[:TAG] to list.
    pub repository: Option<String>,
}

/// One row: an image under one repository:tag.
struct Row<'a> {
    repository: String,
    tag: String,
    digest: String,
    image: &'a ImageSummary,
}

/// `127.0.0.1:5000/busybox:t1` → (`127.0.0.1:5000/busybox`, `t1`).
fn split_tag(familiar: &str) -> (String, String) {
    match familiar.rfind(':') {
        Some(i) if !familiar[i..].contains('/') => (familiar[..i].into(), familiar[i + 1..].into()),
        _ => (familiar.into(), "<none>".into()),
    }
}

fn rows(images: &[ImageSummary]) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for img in images {
        let digests: BTreeMap<String, String> = img
            .repo_digests
            .iter()
            .filter_map(|d| {
                d.split_once('@')
                    .map(|(r, d)| (r.to_string(), d.to_string()))
            })
            .collect();
        let none = || "<none>".to_string();
        if img.repo_tags.is_empty() {
            if digests.is_empty() {
                out.push(Row {
                    repository: none(),
                    tag: none(),
                    digest: none(),
                    image: img,
                });
            }
            for (repo, d) in &digests {
                out.push(Row {
                    repository: repo.clone(),
                    tag: none(),
                    digest: d.clone(),
                    image: img,
                });
            }
        }
        for t in &img.repo_tags {
            let (repository, tag) = split_tag(t);
            let digest = digests.get(&repository).cloned().unwrap_or_else(none);
            out.push(Row {
                repository,
                tag,
                digest,
                image: img,
            });
        }
    }
    out
}

/// The fields of docker/cli's `imageContext` that berth fills.
const FIELDS: [&str; 11] = [
    "Containers",
    "CreatedAt",
    "CreatedSince",
    "Digest",
    "ID",
    "Repository",
    "SharedSize",
    "Size",
    "Tag",
    "UniqueSize",
    "VirtualSize",
];

/// docker/cli's image table headers (`newImageContext`).
fn headers() -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "VIRTUAL SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ] {
        m.insert(k.into(), v.into());
    }
    serde_json::Value::Object(m)
}

/// The creation time of the image `reference` (a name or an id prefix) names, for the
/// `before=`/`since=` filters.
fn created_of(
    images: &[ImageSummary],
    service: &engine::ImageService,
    reference: &str,
) -> anyhow::Result<Option<std::time::SystemTime>> {
    let id = service
        .resolve(reference)
        .map_err(|_| anyhow::anyhow!("Error response from daemon: No such image: {reference}"))?;
    Ok(images.iter().find(|i| i.id == id).and_then(|i| i.created))
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let service = g.service()?;
    let images = service.list().map_err(daemon)?;
    let mut rows = rows(&images);
    if let Some(filter) = &a.repository {
        let (repo, tag) = match filter.rfind(':') {
            Some(i) if !filter[i..].contains('/') => (&filter[..i], Some(&filter[i + 1..])),
            _ => (filter.as_str(), None),
        };
        let repo = image::Reference::parse_normalized_named(repo)
            .map(|r| r.familiar_name())
            .unwrap_or_else(|_| repo.to_string());
        rows.retain(|r| r.repository == repo && (tag.is_none() || tag == Some(r.tag.as_str())));
    }
    for f in &a.filter {
        match f.split_once('=') {
            Some(("dangling", v)) => {
                let want = match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => anyhow::bail!("Invalid filter 'dangling={v}'"),
                };
                rows.retain(|r| r.image.repo_tags.is_empty() == want);
            }
            Some(("reference", pat)) => rows.retain(|r| {
                glob(pat, &r.repository) || glob(pat, &format!("{}:{}", r.repository, r.tag))
            }),
            // Images made before / after the one named (Docker's, by creation time).
            Some((which @ ("before" | "since"), reference)) => {
                let Some(at) = created_of(&images, &service, reference)? else {
                    continue;
                };
                rows.retain(|r| match r.image.created {
                    Some(c) if which == "before" => c < at,
                    Some(c) => c > at,
                    None => false,
                });
            }
            // `label=KEY` or `label=KEY=VALUE` on the image config's labels.
            Some(("label", want)) => {
                let (key, value) = match want.split_once('=') {
                    Some((k, v)) => (k, Some(v)),
                    None => (want, None),
                };
                rows.retain(|r| {
                    let labels = service
                        .config(&r.image.id)
                        .ok()
                        .and_then(|c| c.config().as_ref().and_then(|c| c.labels().clone()))
                        .unwrap_or_default();
                    match (labels.get(key), value) {
                        (Some(v), Some(want)) => v == want,
                        (Some(_), None) => true,
                        (None, _) => false,
                    }
                });
            }
            Some((key, _)) => anyhow::bail!("Error response from daemon: invalid filter '{key}'"),
            None => anyhow::bail!("bad format of filter (expected name=value)"),
        }
    }
    let id = |img: &ImageSummary| {
        if a.no_trunc {
            img.id.clone()
        } else {
            img.id
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect()
        }
    };
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            if seen.insert(&r.image.id) {
                println!("{}", id(r.image));
            }
        }
        return Ok(());
    }
    let field = |r: &Row<'_>, f: &str| -> Option<String> {
        Some(match f {
            "Repository" => r.repository.clone(),
            "Tag" => r.tag.clone(),
            "Digest" => r.digest.clone(),
            "ID" => id(r.image),
            "CreatedSince" => since(r.image.created),
            "CreatedAt" => created_at(r.image.created),
            "Size" | "VirtualSize" => human_size(r.image.size),
            "Containers" | "SharedSize" | "UniqueSize" => "N/A".into(),
            _ => return None,
        })
    };
    match a.format.as_deref() {
        Some("json") => {
            for r in &rows {
                let mut m = serde_json::Map::new();
                for f in FIELDS {
                    m.insert(
                        f.into(),
                        serde_json::Value::String(field(r, f).unwrap_or_default()),
                    );
                }
                println!("{}", serde_json::Value::Object(m));
            }
        }
        Some(tpl) if tpl != "table" => {
            let table_body = tpl.strip_prefix("table");
            let t = parse_format(&pre_format(table_body.unwrap_or(tpl)))?;
            let mut lines = Vec::new();
            for r in &rows {
                let row = row_of(&FIELDS, &|f| field(r, f));
                lines.push(format_row(&t, &row, "*formatter.imageContext", None)?);
            }
            if table_body.is_some() {
                let header = format_header(&t, &headers())?;
                let mut cells = vec![header.split('\t').map(str::to_string).collect::<Vec<_>>()];
                cells.extend(
                    lines
                        .iter()
                        .map(|l| l.split('\t').map(str::to_string).collect()),
                );
                print!("{}", table(&cells));
            } else {
                for l in lines {
                    println!("{l}");
                }
            }
        }
        _ => {
            let mut cols = vec!["Repository", "Tag"];
            if a.digests {
                cols.push("Digest");
            }
            cols.extend(["ID", "CreatedSince", "Size"]);
            let header = |c: &str| match c {
                "Repository" => "REPOSITORY",
                "Tag" => "TAG",
                "Digest" => "DIGEST",
                "ID" => "IMAGE ID",
                "CreatedSince" => "CREATED",
                _ => "SIZE",
            };
            print!("{}", column_table(&cols, header, &rows, |r, c| field(r, c)));
        }
    }
    Ok(())
}

/// Go's `path.Match` for `*` and `?` (`*` stops at `/`), as Docker's reference filter.
fn glob(pat: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(rest, &s[i..])),
            Some(('?', rest)) => s.first().is_some_and(|c| *c != '/') && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(
        &pat.chars().collect::<Vec<_>>(),
        &s.chars().collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_globs() {
        assert!(glob("busy*", "busybox"));
        assert!(glob("busybox:lat*", "busybox:latest"));
        assert!(!glob("busy*", "127.0.0.1:5000/busybox"));
        assert!(glob("*/busybox", "127.0.0.1:5000/busybox"));
        assert!(glob("b?sybox", "busybox"));
    }

    #[test]
    fn tags_split_after_the_port() {
        assert_eq!(
            split_tag("127.0.0.1:5000/busybox:t1"),
            ("127.0.0.1:5000/busybox".into(), "t1".into())
        );
        assert_eq!(
            split_tag("busybox:latest"),
            ("busybox".into(), "latest".into())
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/busybox"),
            ("127.0.0.1:5000/busybox".into(), "<none>".into())
        );
    }
}
