//! What every command gets: where the state is and how to reach registries.

#[derive(Debug, Clone)]
pub struct Global {
    pub root: engine::Root,
    pub insecure_registries: Vec<String>,
}

impl Global {
    pub fn engine(&self) -> engine::Result<engine::Engine> {
        engine::Engine::open(self.root.clone())
    }

    pub fn service(&self) -> anyhow::Result<engine::ImageService> {
        engine::ImageService::open(self.root.clone()).map_err(crate::commands::daemon)
    }

    /// The registry settings: `registry-mirrors` and `insecure-registries` from the
    /// daemon.json-style file at `$BERTH_CONFIG` (default /etc/berth/daemon.json, as
    /// Docker's /etc/docker/daemon.json), plus `--insecure-registry` flags.
    pub fn registry(&self) -> anyhow::Result<image::RegistryClient> {
        let path = std::env::var_os("BERTH_CONFIG")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from("/etc/berth/daemon.json"));
        let mut config = image::RegistryConfig::load(&path)?;
        config
            .insecure_registries
            .extend(self.insecure_registries.iter().cloned());
        let auth = match image::AuthFile::default_path() {
            Some(p) => Some(image::AuthFile::load(p)?),
            None => None,
        };
        Ok(image::RegistryClient::new(config, auth))
    }
}
