//! What every command gets: where the state is and how to reach registries.

#[derive(Debug, Clone)]
pub struct Global {
    pub root: engine::Root,
    pub insecure_registries: Vec<String>,
}

impl Global {
    pub fn service(&self) -> anyhow::Result<engine::ImageService> {
        engine::ImageService::open(self.root.clone()).map_err(crate::commands::daemon)
    }

    pub fn registry(&self) -> anyhow::Result<image::RegistryClient> {
        let config = image::RegistryConfig {
            mirrors: Vec::new(),
            insecure_registries: self.insecure_registries.clone(),
        };
        let auth = match image::AuthFile::default_path() {
            Some(p) => Some(image::AuthFile::load(p)?),
            None => None,
        };
        Ok(image::RegistryClient::new(config, auth))
    }
}
