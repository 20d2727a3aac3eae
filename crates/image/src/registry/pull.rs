//! Pull: tag or digest → manifest (any of the four media types) → platform → config and
//! layers, fetched in parallel, each streamed through size and sha256 verification into the
//! store, resumed with `Range` after a dropped connection, skipped when already present.
//!
//! Order of writes: layers and config first, then the platform manifest, then the index,
//! so a manifest in the store never points at content that is missing.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use oci_spec::image::{Descriptor, Digest, ImageConfiguration, ImageManifest};

use super::{Endpoint, RegistryClient, Session, MANIFEST_MAX};
use crate::digest as dg;
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest, PlatformSpec, RawManifest, MANIFEST_ACCEPT};
use crate::progress::{short_id, Progress, ProgressEvent};
use crate::reference::Reference;
use crate::store::{BlobStore, Expected};

/// Image configs are read into memory; a descriptor claiming more is refused.
const CONFIG_MAX: u64 = 16 * 1024 * 1024;

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The platform to pick from a multi-platform index (Docker's `--platform`).
    pub platform: PlatformSpec,
    /// Layers downloaded at once (Docker's `max-concurrent-downloads`, default 3).
    pub max_concurrent: usize,
    /// Attempts per blob before giving up (resuming where the last one stopped).
    pub attempts: u32,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            platform: PlatformSpec::default(),
            max_concurrent: 3,
            attempts: 5,
        }
    }
}

/// What a pull put in the store.
#[derive(Debug, Clone)]
pub struct PulledImage {
    pub reference: Reference,
    /// The digest of what the reference points at (the index for a multi-platform image):
    /// Docker's repo digest, printed as `Digest: sha256:…`.
    pub repo_digest: Digest,
    /// The top-level index, when the reference pointed at one.
    pub index: Option<Descriptor>,
    /// The platform's image manifest.
    pub manifest_descriptor: Descriptor,
    pub manifest: ImageManifest,
    pub config: ImageConfiguration,
    /// Layers that were fetched (the others were already present).
    pub fetched_layers: Vec<Digest>,
}

impl PulledImage {
    /// The image ID Docker shows: the config digest.
    pub fn image_id(&self) -> &Digest {
        self.manifest.config().digest()
    }
}

impl RegistryClient {
    /// Fetch the manifest a reference points at (no blobs), trying mirrors first for
    /// Docker Hub. Pulling by digest checks the bytes against it.
    pub fn resolve(&self, reference: &Reference) -> Result<RawManifest> {
        let (_, raw) = self.resolve_session(reference)?;
        Ok(raw)
    }

    fn resolve_session(&self, reference: &Reference) -> Result<(Session<'_>, RawManifest)> {
        let mut last = None;
        for ep in self.endpoints(reference.domain(), true) {
            match self.resolve_on(&ep, reference) {
                Ok(r) => return Ok(r),
                Err(e) if ep.mirror => {
                    tracing::warn!(
                        "mirror {} failed for {reference}: {e}; trying the next",
                        ep.base
                    );
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::RegistryProtocol {
            registry: reference.domain().to_string(),
            what: reference.familiar(),
            reason: "no endpoint to pull from (Docker Hub disabled and no mirror configured)"
                .into(),
        }))
    }

    fn resolve_on(
        &self,
        ep: &Endpoint,
        reference: &Reference,
    ) -> Result<(Session<'_>, RawManifest)> {
        let session = self
            .session(ep, reference.path(), "pull", &[], None)
            .map_err(|e| denied(e, reference))?;
        let what = reference.manifest_reference();
        let raw = fetch_manifest(
            &session,
            &what,
            reference.digest(),
            None,
            &reference.familiar(),
        )
        .map_err(|e| denied(e, reference))?;
        Ok((session, raw))
    }

    /// Pull an image into the store; see the module documentation.
    pub fn pull(
        &self,
        reference: &Reference,
        store: &BlobStore,
        opts: &PullOptions,
        progress: &dyn Progress,
    ) -> Result<PulledImage> {
        progress.event(ProgressEvent::Resolving {
            reference: reference.familiar(),
        });
        let (session, top) = self.resolve_session(reference)?;
        let name = reference.familiar();
        let (index, image_raw) = match &top.manifest {
            Manifest::Image(_) => (None, top.clone()),
            Manifest::Index(idx) => {
                let desc = manifest::select_platform(idx, &opts.platform)?;
                let raw = fetch_manifest(
                    &session,
                    desc.digest().as_ref(),
                    Some(desc.digest()),
                    Some(desc.size()),
                    &name,
                )?;
                (Some(top.clone()), raw)
            }
        };
        let Manifest::Image(image) = &image_raw.manifest else {
            return Err(Error::ManifestInvalid {
                what: format!("{name}@{}", image_raw.digest),
                reason: "an index entry points at another index".into(),
            });
        };
        progress.event(ProgressEvent::Resolved {
            reference: name.clone(),
            digest: top.digest.to_string(),
        });

        if image.config().size() > CONFIG_MAX {
            return Err(Error::ConfigInvalid {
                digest: image.config().digest().to_string(),
                reason: format!(
                    "declared size {} is over the 16 MiB limit",
                    image.config().size()
                ),
            });
        }
        // Config first (small, and needed to describe the image), then layers in parallel.
        // Blobs this pull adds are removed again if it fails: the store is left as it was.
        let added = Mutex::new(Vec::new());
        let result = (|| -> Result<(ImageConfiguration, Vec<Digest>)> {
            if fetch_blob(
                &session,
                store,
                image.config(),
                opts.attempts,
                &crate::progress::NoProgress,
            )? {
                lock_push(&added, image.config().digest().clone());
            }
            let config = manifest::parse_config(
                &store.read(image.config().digest())?,
                image.config().digest(),
            )?;
            let fetched = fetch_layers(
                &session,
                store,
                image.layers(),
                opts,
                progress,
                &name,
                &added,
            )?;
            for raw in std::iter::once(&image_raw).chain(index.as_ref()) {
                if !store.exists(&raw.digest)? {
                    store.put(&raw.bytes)?;
                    lock_push(&added, raw.digest.clone());
                }
            }
            Ok((config, fetched))
        })();
        let (config, fetched) = match result {
            Ok(v) => v,
            Err(e) => {
                for d in added.into_inner().unwrap_or_default() {
                    if let Err(re) = store.delete(&d) {
                        tracing::warn!("rolling back the pull of {name}: {re}");
                    }
                }
                return Err(e);
            }
        };
        Ok(PulledImage {
            reference: reference.clone(),
            repo_digest: top.digest.clone(),
            index: index.as_ref().map(RawManifest::descriptor),
            manifest_descriptor: image_raw.descriptor(),
            manifest: (**image).clone(),
            config,
            fetched_layers: fetched,
        })
    }
}

/// 401/403/404 on a pull say what Docker says.
fn denied(e: Error, reference: &Reference) -> Error {
    match e {
        Error::RegistryStatus {
            status: 401 | 403,
            message,
            ..
        }
        | Error::TokenRequest {
            status: 401 | 403,
            message,
            ..
        } => Error::PullDenied {
            repository: reference.familiar_name(),
            message,
        },
        Error::RegistryStatus { status: 404, .. } => Error::ManifestUnknown {
            reference: reference.familiar(),
        },
        e => e,
    }
}

/// GET a manifest by tag or digest; verify digest (and size) when known.
fn fetch_manifest(
    s: &Session<'_>,
    what: &str,
    expect_digest: Option<&Digest>,
    expect_size: Option<u64>,
    name: &str,
) -> Result<RawManifest> {
    let url = s.url(&format!("manifests/{what}"));
    let resp = s.send(
        |a| a.get(&url).set("Accept", &MANIFEST_ACCEPT.join(", ")),
        None,
    )?;
    let content_type = resp.header("content-type").map(str::to_string);
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(MANIFEST_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Transport {
            registry: s.ep.registry.clone(),
            url: url.clone(),
            reason: e.to_string(),
        })?;
    if bytes.len() as u64 > MANIFEST_MAX {
        return Err(Error::ManifestInvalid {
            what: format!("{name} ({what})"),
            reason: "larger than 4 MiB".into(),
        });
    }
    let digest = dg::sha256_of(&bytes);
    if let Some(want) = expect_digest {
        if *want != digest {
            return Err(Error::DigestMismatch {
                expected: want.to_string(),
                actual: digest.to_string(),
            });
        }
    }
    if let Some(size) = expect_size {
        if size != bytes.len() as u64 {
            return Err(Error::SizeMismatch {
                digest: digest.to_string(),
                expected: size,
                actual: bytes.len() as u64,
            });
        }
    }
    let (media_type, manifest) =
        manifest::parse(&bytes, content_type.as_deref(), &format!("{name}@{digest}"))?;
    Ok(RawManifest {
        bytes,
        media_type,
        digest,
        manifest,
    })
}

fn fetch_layers(
    s: &Session<'_>,
    store: &BlobStore,
    layers: &[Descriptor],
    opts: &PullOptions,
    progress: &dyn Progress,
    name: &str,
    added: &Mutex<Vec<Digest>>,
) -> Result<Vec<Digest>> {
    let mut queue = VecDeque::new();
    let mut seen = std::collections::HashSet::new();
    for l in layers {
        if !seen.insert(l.digest().clone()) {
            continue;
        }
        if store.exists(l.digest())? {
            progress.event(ProgressEvent::AlreadyExists {
                id: short_id(l.digest()),
                digest: l.digest().clone(),
            });
        } else {
            progress.event(ProgressEvent::Waiting {
                id: short_id(l.digest()),
            });
            queue.push_back(l.clone());
        }
    }
    let fetched: Vec<Digest> = queue.iter().map(|d| d.digest().clone()).collect();
    super::for_each_bounded(
        queue.into(),
        opts.max_concurrent,
        name,
        |desc: Descriptor| {
            if fetch_blob(s, store, &desc, opts.attempts, progress)? {
                lock_push(added, desc.digest().clone());
            }
            Ok(())
        },
    )?;
    Ok(fetched)
}

fn lock_push(v: &Mutex<Vec<Digest>>, d: Digest) {
    if let Ok(mut v) = v.lock() {
        v.push(d);
    }
}

/// Download one blob into the store, resuming with `Range` after a failed read.
/// Returns whether it was added (false: it was already there).
pub(crate) fn fetch_blob(
    s: &Session<'_>,
    store: &BlobStore,
    desc: &Descriptor,
    attempts: u32,
    progress: &dyn Progress,
) -> Result<bool> {
    let digest = desc.digest();
    if store.exists(digest)? {
        return Ok(false);
    }
    let id = short_id(digest);
    let total = desc.size();
    let url = s.url(&format!("blobs/{digest}"));
    let mut w = store.ingest(Expected::from(desc))?;
    let attempts = attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let offset = w.written();
        // Ok(true): the source has no more data; Ok(false): this body ended.
        let result = (|| -> Result<bool> {
            if offset == total && total > 0 {
                return Ok(true);
            }
            let resp = match s.send(
                |a| {
                    let r = a.get(&url);
                    if offset > 0 {
                        r.set("Range", &format!("bytes={offset}-"))
                    } else {
                        r
                    }
                },
                None,
            ) {
                // Nothing after `offset`: the source is shorter than the descriptor says.
                Err(Error::RegistryStatus { status: 416, .. }) if offset > 0 => return Ok(true),
                r => r?,
            };
            match resp.status() {
                206 => {
                    let start = resp
                        .header("content-range")
                        .and_then(|c| c.strip_prefix("bytes "))
                        .and_then(|c| c.split('-').next())
                        .and_then(|n| n.parse::<u64>().ok());
                    if start != Some(offset) {
                        w.reset()?;
                        return Err(Error::RegistryProtocol {
                            registry: s.ep.registry.clone(),
                            what: format!("blob {digest}"),
                            reason: "ranged answer does not start where asked; restarting".into(),
                        });
                    }
                }
                _ if offset > 0 => w.reset()?, // the server ignored Range: start over
                _ => {}
            }
            let mut reader = resp.into_reader();
            let mut buf = vec![0u8; 256 * 1024];
            let mut last_report = 0u64;
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => return Ok(false),
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(Error::Transport {
                            registry: s.ep.registry.clone(),
                            url: url.clone(),
                            reason: e.to_string(),
                        })
                    }
                };
                w.write_chunk(&buf[..n])?;
                if w.written() - last_report >= 512 * 1024 || w.written() == total {
                    last_report = w.written();
                    progress.event(ProgressEvent::Downloading {
                        id: id.clone(),
                        current: w.written(),
                        total,
                    });
                }
            }
        })();
        match result {
            Ok(true) => break,
            Ok(false) if w.written() == total => break,
            Ok(false) if attempt < attempts => {
                // The body ended early (connection closed): resume.
                progress.event(ProgressEvent::Retrying {
                    id: id.clone(),
                    attempt,
                    offset: w.written(),
                });
            }
            Ok(false) => break, // commit reports the size mismatch
            Err(e @ (Error::Transport { .. } | Error::RegistryProtocol { .. }))
                if attempt < attempts =>
            {
                tracing::debug!(
                    "blob {digest}: attempt {attempt} failed: {e}; resuming at {}",
                    w.written()
                );
                progress.event(ProgressEvent::Retrying {
                    id: id.clone(),
                    attempt,
                    offset: w.written(),
                });
            }
            Err(
                e @ Error::RegistryStatus {
                    status: 500..=599, ..
                },
            ) if attempt < attempts => {
                tracing::debug!("blob {digest}: attempt {attempt} failed: {e}");
                progress.event(ProgressEvent::Retrying {
                    id: id.clone(),
                    attempt,
                    offset: w.written(),
                });
            }
            Err(
                e @ (Error::Transport { .. }
                | Error::RegistryProtocol { .. }
                | Error::RegistryStatus {
                    status: 500..=599, ..
                }),
            ) => {
                return Err(Error::DownloadFailed {
                    digest: digest.to_string(),
                    registry: s.ep.registry.clone(),
                    attempts: attempt,
                    source: Box::new(e),
                })
            }
            Err(e) => return Err(e),
        }
        std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
    }
    w.commit()?;
    progress.event(ProgressEvent::DownloadComplete {
        id,
        digest: digest.clone(),
    });
    Ok(true)
}
