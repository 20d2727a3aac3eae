//! `berth login [-u USER] [-p PASS | --password-stdin] [SERVER]`.

use std::io::Read;

use image::registry::config;
use image::Credentials;

use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(short, long)]
    pub username: Option<String>,
    #[arg(short, long)]
    pub password: Option<String>,
    /// Take the password from stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Registry host (default: Docker Hub).
    pub server: Option<String>,
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let server = a.server.clone().unwrap_or_else(|| "docker.io".into());
    let registry = registry_host(&server);
    if a.password.is_some() && a.password_stdin {
        anyhow::bail!("--password and --password-stdin are mutually exclusive");
    }
    let password = if a.password_stdin {
        if a.username.is_none() {
            anyhow::bail!("Must provide --username with --password-stdin");
        }
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s.trim_end_matches(['\n', '\r']).to_string()
    } else if let Some(p) = a.password.clone() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        p
    } else {
        anyhow::bail!("Error: Cannot perform an interactive login from a non TTY device");
    };
    let Some(username) = a.username.clone() else {
        anyhow::bail!("Error: Cannot perform an interactive login from a non TTY device");
    };
    let creds = Credentials::new(username, password);
    g.registry()?
        .login(&registry, &creds)
        .map_err(|e| anyhow::anyhow!("Error response from daemon: {e}"))?;
    let path = image::AuthFile::default_path()
        .ok_or_else(|| anyhow::anyhow!("no HOME or DOCKER_CONFIG: nowhere to store credentials"))?;
    config::login(&path, &registry, &creds)?;
    println!("Login Succeeded");
    Ok(())
}

/// `https://host:5000/v2/` → `host:5000`; Docker Hub's spellings → `docker.io`.
pub fn registry_host(server: &str) -> String {
    let s = server
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = s.split('/').next().unwrap_or(s);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".into(),
        h => h.to_string(),
    }
}
