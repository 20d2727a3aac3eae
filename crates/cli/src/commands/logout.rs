//! `berth logout [SERVER]`.

use image::registry::config;

use super::login::registry_host;
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub server: Option<String>,
}

pub fn run(_g: &Global, a: Args) -> anyhow::Result<()> {
    let server = a.server.clone().unwrap_or_else(|| "docker.io".into());
    let registry = registry_host(&server);
    let path = image::AuthFile::default_path()
        .ok_or_else(|| anyhow::anyhow!("no HOME or DOCKER_CONFIG: no credentials file"))?;
    if config::logout(&path, &registry)? {
        println!("Removing login credentials for {server}");
    } else {
        println!("Not logged in to {server}");
    }
    Ok(())
}
