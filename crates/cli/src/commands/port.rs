//! `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports in
//! Docker's lines (`80/tcp -> 0.0.0.0:8080`), formatted by `engine::containers::port`.

use engine::containers::port::port_lines;

use super::daemon;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub container: String,
    /// PRIVATE_PORT[/PROTO]
    pub private_port: Option<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    let ports = engine.container_ports(&a.container).map_err(daemon)?;
    let lines = port_lines(&ports, a.private_port.as_deref(), &a.container)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for l in lines {
        println!("{l}");
    }
    Ok(())
}
