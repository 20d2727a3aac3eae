//! sha256 helpers over `oci_spec::image::Digest`.

use std::str::FromStr;

use oci_spec::image::{Digest, DigestAlgorithm};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// The digest of some bytes.
pub fn sha256_of(bytes: &[u8]) -> Digest {
    from_hasher(Sha256::new_with_prefix(bytes))
}

/// The digest a finished hasher stands for.
pub(crate) fn from_hasher(h: Sha256) -> Digest {
    let hex = hex::encode(h.finalize());
    // A sha256 of 64 lowercase hex characters always parses; the fallback keeps this total.
    Digest::from_str(&format!("sha256:{hex}")).unwrap_or_else(|_| unreachable_digest())
}

#[allow(clippy::expect_used)]
fn unreachable_digest() -> Digest {
    Digest::from_str("sha256:0000000000000000000000000000000000000000000000000000000000000000")
        .expect("constant digest parses")
}

/// Parse a digest string, mapping the error to one naming it.
pub fn parse(s: &str) -> Result<Digest> {
    Digest::from_str(s).map_err(|e| Error::InvalidDigest {
        digest: s.to_string(),
        reason: e.to_string(),
    })
}

/// The hex part of a sha256 digest; other algorithms are refused (the store is sha256 only).
pub fn sha256_hex(d: &Digest) -> Result<&str> {
    if *d.algorithm() != DigestAlgorithm::Sha256 {
        return Err(Error::UnsupportedDigest {
            digest: d.to_string(),
        });
    }
    Ok(d.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest() {
        assert_eq!(
            sha256_of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(sha256_hex(&parse(&format!("sha512:{}", "a".repeat(128))).unwrap()).is_err());
        assert!(parse("sha256:xyz").is_err());
    }
}
