//! Push: every blob checked with HEAD first, then a cross-repository mount attempt, then a
//! monolithic (POST + PUT) or chunked (POST + PATCH… + PUT) upload; manifests last, the
//! index after its platform manifests.

use std::io::{Read, Seek, SeekFrom};

use oci_spec::image::{Descriptor, Digest};

use super::{Body, RegistryClient, Session};
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::progress::{short_id, Progress, ProgressEvent};
use crate::reference::Reference;
use crate::store::BlobStore;

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Upload blobs larger than this in PATCH chunks of this size; `None`: one PUT.
    pub chunk_size: Option<u64>,
    /// Repositories of the same registry that may hold the blobs already (tried as
    /// cross-repository mounts, Docker's `Mounted from …`).
    pub mount_from: Vec<String>,
    /// Blobs uploaded at once (Docker's `max-concurrent-uploads`, default 5; 0 = 1).
    pub max_concurrent: usize,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            chunk_size: None,
            mount_from: Vec::new(),
            max_concurrent: 5,
        }
    }
}

impl RegistryClient {
    /// Push the manifest or index `root` (and everything it references) from the store to
    /// `reference` (its tag, or only by digest when it has none). Returns the digest the
    /// registry stored, checked to equal `root`.
    pub fn push(
        &self,
        store: &BlobStore,
        reference: &Reference,
        root: &Digest,
        opts: &PushOptions,
        progress: &dyn Progress,
    ) -> Result<Digest> {
        let ep = self
            .endpoints(reference.domain(), false)
            .into_iter()
            .next()
            .ok_or_else(|| Error::RegistryProtocol {
                registry: reference.domain().to_string(),
                what: reference.familiar(),
                reason: "no endpoint to push to (Docker Hub disabled)".into(),
            })?;
        let session = self
            .session(&ep, reference.path(), "pull,push", &opts.mount_from, None)
            .map_err(|e| denied(e, reference))?;
        let tag = reference.tag().map(str::to_string);
        push_manifest(
            &session,
            store,
            reference,
            root,
            tag.as_deref(),
            opts,
            progress,
        )
        .map_err(|e| denied(e, reference))
    }
}

fn denied(e: Error, reference: &Reference) -> Error {
    match e {
        Error::RegistryStatus {
            status: 401 | 403,
            message,
            registry,
            ..
        }
        | Error::TokenRequest {
            status: 401 | 403,
            message,
            registry,
            ..
        } => Error::PushDenied {
            registry,
            repository: reference.familiar_name(),
            message,
        },
        e => e,
    }
}

fn push_manifest(
    s: &Session<'_>,
    store: &BlobStore,
    reference: &Reference,
    digest: &Digest,
    tag: Option<&str>,
    opts: &PushOptions,
    progress: &dyn Progress,
) -> Result<Digest> {
    let bytes = store.read(digest)?;
    let what = format!("{}@{digest}", reference.familiar_name());
    let (media_type, m) = manifest::parse(&bytes, None, &what)?;
    match &m {
        Manifest::Image(im) => {
            let mut blobs: Vec<&Descriptor> = Vec::new();
            for d in im.layers().iter().chain(std::iter::once(im.config())) {
                if !blobs.iter().any(|b| b.digest() == d.digest()) {
                    blobs.push(d);
                }
            }
            super::for_each_bounded(blobs, opts.max_concurrent, &what, |d| {
                push_blob(s, store, d, opts, progress)
            })?;
        }
        Manifest::Index(idx) => {
            for child in idx.manifests() {
                push_manifest(s, store, reference, child.digest(), None, opts, progress)?;
            }
        }
    }
    let target = tag.map_or_else(|| digest.to_string(), str::to_string);
    let url = s.url(&format!("manifests/{target}"));
    let resp = s.send(
        |a| a.put(&url).set("Content-Type", &media_type),
        Some(Body::Bytes(&bytes)),
    )?;
    if let Some(got) = resp.header("docker-content-digest") {
        if got != digest.as_ref() {
            return Err(Error::PushDigestMismatch {
                reference: reference.familiar(),
                expected: digest.to_string(),
                actual: got.to_string(),
            });
        }
    }
    if tag.is_some() {
        progress.event(ProgressEvent::ManifestPushed {
            tag: target,
            digest: digest.to_string(),
            size: bytes.len() as u64,
        });
    }
    Ok(digest.clone())
}

/// Whether the registry has the blob in this repository (HEAD).
fn blob_exists(s: &Session<'_>, digest: &Digest) -> Result<bool> {
    let url = s.url(&format!("blobs/{digest}"));
    match s.send(|a| a.head(&url), None) {
        Ok(_) => Ok(true),
        Err(Error::RegistryStatus { status: 404, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn push_blob(
    s: &Session<'_>,
    store: &BlobStore,
    desc: &Descriptor,
    opts: &PushOptions,
    progress: &dyn Progress,
) -> Result<()> {
    let digest = desc.digest();
    let id = short_id(digest);
    if blob_exists(s, digest)? {
        progress.event(ProgressEvent::LayerAlreadyExists { id });
        return Ok(());
    }
    let size = store.size(digest)?;
    if size != desc.size() {
        return Err(Error::SizeMismatch {
            digest: digest.to_string(),
            expected: desc.size(),
            actual: size,
        });
    }
    // Cross-repository mount: 201 = done; 202 = the registry opened an upload instead.
    let mut location = None;
    for from in opts.mount_from.iter().filter(|r| **r != s.repository) {
        let url = s.url("blobs/uploads/");
        let resp = s.send(
            |a| {
                a.post(&url)
                    .query("mount", digest.as_ref())
                    .query("from", from)
            },
            Some(Body::Bytes(&[])),
        )?;
        if resp.status() == 201 {
            progress.event(ProgressEvent::MountedFrom {
                id,
                repository: from.clone(),
            });
            return Ok(());
        }
        location = resp.header("location").map(|l| s.absolute(l));
        if location.is_some() {
            break;
        }
    }
    let mut location = match location {
        Some(l) => l,
        None => {
            let url = s.url("blobs/uploads/");
            let resp = s.send(|a| a.post(&url), Some(Body::Bytes(&[])))?;
            upload_location(s, &resp, &url)?
        }
    };
    let mut file = store.open_blob(digest)?;
    let path = store.blob_path(digest)?;
    let io_err = |e: std::io::Error| Error::io("read", path.clone(), e);
    match opts.chunk_size {
        Some(chunk) if chunk > 0 && size > chunk => {
            let mut offset = 0u64;
            while offset < size {
                let len = chunk.min(size - offset);
                let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
                file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
                file.read_exact(&mut buf).map_err(io_err)?;
                let end = offset + len - 1;
                let loc = location.clone();
                let resp = s.send(
                    |a| {
                        a.request("PATCH", &loc)
                            .set("Content-Type", "application/octet-stream")
                            .set("Content-Range", &format!("{offset}-{end}"))
                    },
                    Some(Body::Bytes(&buf)),
                )?;
                location = upload_location(s, &resp, &loc)?;
                offset += len;
                progress.event(ProgressEvent::Pushing {
                    id: id.clone(),
                    current: offset,
                    total: size,
                });
            }
            let loc = location.clone();
            s.send(
                |a| a.put(&loc).query("digest", digest.as_ref()),
                Some(Body::Bytes(&[])),
            )?;
        }
        _ => {
            // Monolithic: one PUT with the whole blob, streamed from the store.
            let loc = location.clone();
            let req = s
                .authorize(s.agent().put(&loc).query("digest", digest.as_ref()))
                .set("Content-Type", "application/octet-stream")
                .set("Content-Length", &size.to_string());
            let reader = CountingReader {
                inner: file,
                id: &id,
                done: 0,
                reported: 0,
                total: size,
                progress,
            };
            req.send(reader)
                .map_err(|e| s.status_error("PUT", loc.clone(), e))?;
        }
    }
    progress.event(ProgressEvent::Pushed { id });
    Ok(())
}

/// Reports `Pushing` progress while a blob streams out (every 512 KiB and at the end).
struct CountingReader<'a, R> {
    inner: R,
    id: &'a str,
    done: u64,
    reported: u64,
    total: u64,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= 512 * 1024
            || (self.done == self.total && self.reported != self.done)
        {
            self.reported = self.done;
            self.progress.event(ProgressEvent::Pushing {
                id: self.id.to_string(),
                current: self.done,
                total: self.total,
            });
        }
        Ok(n)
    }
}

fn upload_location(s: &Session<'_>, resp: &ureq::Response, url: &str) -> Result<String> {
    resp.header("location")
        .map(|l| s.absolute(l))
        .ok_or_else(|| Error::RegistryProtocol {
            registry: s.ep.registry.clone(),
            what: format!("upload {url}"),
            reason: "answer has no Location header".into(),
        })
}
