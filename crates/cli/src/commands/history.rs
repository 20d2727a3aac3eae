//! `berth history [--no-trunc] [-q] IMAGE`.

use super::daemon;
use crate::format::{human_size, since, table};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    pub image: String,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let entries = g.service()?.history(&a.image).map_err(daemon)?;
    let id = |i: &Option<String>| match i {
        Some(i) if a.no_trunc => i.clone(),
        Some(i) => i.trim_start_matches("sha256:").chars().take(12).collect(),
        None => "<missing>".into(),
    };
    if a.quiet {
        for e in &entries {
            println!("{}", id(&e.id));
        }
        return Ok(());
    }
    let mut rows = vec![["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
        .map(String::from)
        .to_vec()];
    for e in &entries {
        let by = e.created_by.replace('\t', " ");
        let by = if !a.no_trunc && by.chars().count() > 45 {
            format!("{}…", by.chars().take(44).collect::<String>())
        } else {
            by
        };
        rows.push(vec![
            id(&e.id),
            since(e.created),
            by,
            human_size(e.size),
            e.comment.clone(),
        ]);
    }
    print!("{}", table(&rows));
    Ok(())
}
