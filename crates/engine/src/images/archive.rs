//! `save` and `load`: image archives through `image::archive` (docker-archive as
//! `docker save` writes it; on load also OCI layouts and the layouts of Docker 25,
//! podman and skopeo, every blob verified), then each loaded image recorded as a pull
//! records it.

use std::io::{Read, Write};

use image::manifest::{parse, parse_config, select_platform};
use image::{Manifest, PlatformSpec, Reference};

use super::register::Registration;
use super::ImageService;
use crate::error::{EngineError, Result};

fn archive_err(op: &'static str) -> impl Fn(image::ArchiveError) -> EngineError {
    move |e| EngineError::Archive {
        op,
        reason: e.to_string(),
    }
}

impl ImageService {
    /// Writes the named images (names or ids) as one docker-archive tar to `out`; a
    /// name that is a tag of the image is kept as its RepoTag.
    pub fn save(&self, names: &[String], out: impl Write) -> Result<()> {
        let mut images: Vec<(Vec<Reference>, image::oci_spec::image::Digest)> = Vec::new();
        for n in names {
            let id = self.resolve(n)?;
            let rec = self
                .db
                .image(&id)?
                .ok_or_else(|| EngineError::NoSuchImage { name: n.clone() })?;
            let manifest = image::digest::parse(&rec.manifest_digest)?;
            let tag = Reference::parse(n)
                .ok()
                .filter(|r| r.digest().is_none())
                .filter(|r| {
                    self.db
                        .resolve_name(&r.to_string())
                        .ok()
                        .flatten()
                        .as_deref()
                        == Some(id.as_str())
                });
            match images.iter_mut().find(|(_, m)| *m == manifest) {
                Some((tags, _)) => tags.extend(tag),
                None => images.push((tag.into_iter().collect(), manifest)),
            }
        }
        image::save_docker_archive(&self.store, &images, out).map_err(archive_err("save"))?;
        for n in names {
            if let Ok(id) = self.resolve(n) {
                self.emit_image("save", &id, n);
            }
        }
        Ok(())
    }

    /// Loads an image archive (docker-archive or OCI layout, plain or compressed).
    /// Returns, per image, its id and familiar tags.
    pub fn load(&mut self, input: impl Read) -> Result<Vec<(String, Vec<String>)>> {
        let _lock = self.lock_for_writing()?;
        let (_format, loaded) =
            image::load_archive(input, &self.store).map_err(archive_err("load"))?;
        let mut out = Vec::new();
        for li in loaded {
            let what = li
                .references
                .first()
                .map(Reference::familiar)
                .unwrap_or_else(|| li.manifest_digest.to_string());
            let bytes = self.store.read(&li.manifest_digest)?;
            let (manifest_digest, manifest, extra_blobs) =
                match parse(&bytes, Some(&li.media_type), &what)?.1 {
                    Manifest::Image(m) => (li.manifest_digest.clone(), *m, Vec::new()),
                    Manifest::Index(idx) => {
                        let d = select_platform(&idx, &PlatformSpec::default())?
                            .digest()
                            .clone();
                        match parse(&self.store.read(&d)?, None, &what)?.1 {
                            Manifest::Image(m) => (d, *m, vec![li.manifest_digest.to_string()]),
                            Manifest::Index(_) => {
                                return Err(EngineError::Archive {
                                    op: "load",
                                    reason: format!("{what}: nested index"),
                                })
                            }
                        }
                    }
                };
            let cfg_digest = manifest.config().digest().clone();
            let config = parse_config(&self.store.read(&cfg_digest)?, &cfg_digest)?;
            let id = self.register(Registration {
                what,
                manifest_digest: &manifest_digest,
                manifest: &manifest,
                config: &config,
                extra_blobs,
                names: li.references.iter().map(|r| r.to_string()).collect(),
            })?;
            let tags: Vec<String> = li.references.iter().map(Reference::familiar).collect();
            self.emit_image("load", &id, tags.first().map_or("", String::as_str));
            out.push((id, tags));
        }
        Ok(out)
    }
}
