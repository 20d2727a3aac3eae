//! `berth wait CONTAINER...`: blocks until each stops, prints each exit code.

use super::Failed;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(super::daemon)?;
    let mut failed = false;
    for n in &a.containers {
        let r = engine
            .container(n)
            .and_then(|c| engine.container_wait_exit(&c.id, None));
        match r {
            Ok(code) => println!("{}", code.unwrap_or(-1)),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failed.into());
    }
    Ok(())
}
