//! Layer compression: recognised by magic bytes (the media type may lie or be missing).

use std::io::{self, BufReader, Read};

use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

use crate::digest as dg;

pub(super) const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub(super) const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub(super) const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub(super) const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// Sniff the start of a file; the reader is returned positioned at the start again.
    pub fn of(r: impl Read) -> io::Result<(Self, BufReader<impl Read>)> {
        let mut br = BufReader::with_capacity(256 * 1024, r);
        let c = Self::sniff(io::BufRead::fill_buf(&mut br)?);
        Ok((c, br))
    }
}

/// The uncompressed content of a layer.
pub(super) fn uncompressed<'r>(r: impl Read + 'r) -> io::Result<(Compression, Box<dyn Read + 'r>)> {
    let (c, br) = Compression::of(r)?;
    let rd: Box<dyn Read + 'r> = match c {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(br)),
        Compression::Zstd => Box::new(zstd::Decoder::with_buffer(br)?),
    };
    Ok((c, rd))
}

/// The sha256 of everything `r` yields, and its length.
pub(super) fn hash_all(mut r: impl Read) -> io::Result<(Digest, u64)> {
    let mut h = Sha256::new();
    let n = io::copy(&mut r, &mut h)?;
    Ok((dg::from_hasher(h), n))
}
