//! Image references, parsed and normalised exactly as Docker does
//! (github.com/distribution/reference: regexp.go, reference.go, normalize.go).
//!
//! The grammar is Docker's regular expressions, written here with the `regex` crate (RE2
//! semantics, like Go's), so edge cases (greedy domain, separators, tag length) match.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use oci_spec::image::Digest;
use regex_lite::Regex;

use crate::error::ReferenceError;

/// The registry of names without a domain.
pub const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag of a name without tag or digest.
pub const DEFAULT_TAG: &str = "latest";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

const ALPHANUMERIC: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
const DOMAIN_NAME_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const IPV6_ADDRESS: &str = r"\[(?:[a-fA-F0-9:]+)\]";
// Docker's `[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}` and `...[:][[:xdigit:]]{32,}`, with the
// counted repetitions checked in code ([`reference_captures`]): compiled, each count is
// that many copies of its class, and the three expressions took ~0.45 ms to build in
// every `berth` process that parsed a name (`run`, `create`, `pull`...).
const TAG: &str = r"[0-9A-Za-z_][0-9A-Za-z_.-]*";
const TAG_MAX: usize = 128;
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]+";
const DIGEST_HEX_MIN: usize = 32;

fn path_component() -> String {
    format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*")
}

fn domain_and_port() -> String {
    let domain_name = format!("{DOMAIN_NAME_COMPONENT}(?:\\.{DOMAIN_NAME_COMPONENT})*");
    format!("(?:{domain_name}|{IPV6_ADDRESS})(?::[0-9]+)?")
}

#[allow(clippy::expect_used)] // a constant pattern; compiled by every unit test below
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("reference grammar is a valid regular expression")
}

/// `^((?:domain/)?path(?:/path)*)(?::(tag))?(?:@(digest))?$`
static REFERENCE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let p = path_component();
    compile(&format!(
        "^((?:{}/)?{p}(?:/{p})*)(?::({TAG}))?(?:@({DIGEST}))?$",
        domain_and_port()
    ))
});

/// `^(?:(domain)/)?(path(?:/path)*)$`
static ANCHORED_NAME_RE: LazyLock<Regex> = LazyLock::new(|| {
    let p = path_component();
    compile(&format!("^(?:({})/)?({p}(?:/{p})*)$", domain_and_port()))
});

/// `^((?:domain/)?path(?:/path)*)(?::(tag))?(?:@(digest))?$` with Docker's bounds on
/// the tag's and the digest's lengths.
fn reference_captures(s: &str) -> Option<regex_lite::Captures<'_>> {
    let caps = REFERENCE_RE.captures(s)?;
    if caps.get(2).is_some_and(|t| t.as_str().len() > TAG_MAX) {
        return None;
    }
    let short_hex = |d: &str| d.rsplit(':').next().map_or(0, str::len) < DIGEST_HEX_MIN;
    if caps.get(3).is_some_and(|d| short_hex(d.as_str())) {
        return None;
    }
    Some(caps)
}

/// Docker's `anchoredIdentifierRegexp`, `^[a-f0-9]{64}$`.
fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9'))
}

/// A normalised, fully qualified image reference: `domain/path[:tag][@digest]`.
///
/// `Display` prints the full form (`docker.io/library/busybox:latest`);
/// [`Reference::familiar`] prints what Docker shows (`busybox:latest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Docker's `ParseNormalizedNamed` followed by `TagNameOnly`: a name without tag or
    /// digest gets `:latest`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let mut r = Self::parse_normalized_named(s)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some(DEFAULT_TAG.to_string());
        }
        Ok(r)
    }

    /// Docker's `ParseNormalizedNamed`: normalised, but no default tag added.
    pub fn parse_normalized_named(s: &str) -> Result<Self, ReferenceError> {
        if is_identifier(s) {
            return Err(ReferenceError::HexIdentifier {
                reference: s.to_string(),
            });
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => remainder.as_str(),
        };
        if remote.to_lowercase() != remote {
            return Err(ReferenceError::ContainsUppercase {
                reference: s.to_string(),
                repository: remote.to_string(),
            });
        }
        Self::parse_any(&format!("{domain}/{remainder}"), s)
    }

    /// Docker's `Parse` of an already fully qualified string (no normalisation).
    fn parse_any(s: &str, original: &str) -> Result<Self, ReferenceError> {
        let Some(caps) = reference_captures(s) else {
            if s.is_empty() {
                return Err(ReferenceError::NameEmpty);
            }
            if reference_captures(&s.to_lowercase()).is_some() {
                // Docker: ErrNameContainsUppercase; only reachable through domains here.
                return Err(ReferenceError::ContainsUppercase {
                    reference: original.to_string(),
                    repository: s.to_string(),
                });
            }
            return Err(ReferenceError::InvalidFormat {
                reference: original.to_string(),
            });
        };
        let name = caps.get(1).map_or("", |m| m.as_str());
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::NameTooLong {
                reference: original.to_string(),
            });
        }
        let (domain, path) = match ANCHORED_NAME_RE.captures(name) {
            Some(n) => (
                n.get(1).map_or("", |m| m.as_str()).to_string(),
                n.get(2).map_or("", |m| m.as_str()).to_string(),
            ),
            None => {
                return Err(ReferenceError::InvalidFormat {
                    reference: original.to_string(),
                })
            }
        };
        let tag = caps.get(2).map(|m| m.as_str().to_string());
        let digest = match caps.get(3) {
            Some(m) => Some(parse_digest(m.as_str(), original)?),
            None => None,
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The registry host, with port (`docker.io`, `127.0.0.1:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The repository path within the registry (`library/busybox`).
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The full name without tag or digest: `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// Docker's `FamiliarName`: `busybox`, `user/app`, `127.0.0.1:5000/app`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            if let Some(rest) = self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
                if !rest.contains('/') {
                    return rest.to_string();
                }
            }
            return self.path.clone();
        }
        self.name()
    }

    /// Docker's `FamiliarString`: `busybox:latest`, `busybox@sha256:…`.
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        self.push_suffix(&mut s);
        s
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        let s = format!("{}:{tag}", self.name());
        Self::parse_any(&s, &s)
    }

    /// The same repository pinned to a digest (and no tag).
    pub fn with_digest(&self, digest: &Digest) -> Self {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: Some(digest.clone()),
        }
    }

    /// What the registry API calls the manifest: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d.as_ref());
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// Docker's `splitDockerDomain`.
fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i) => {
            let first = &name[..i];
            if !first.contains(['.', ':']) && first != "localhost" && first.to_lowercase() == first
            {
                (DEFAULT_DOMAIN.to_string(), name.to_string())
            } else {
                (first.to_string(), name[i + 1..].to_string())
            }
        }
        None => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

/// go-digest's `Parse` + `Validate`, with its messages, then the oci-spec type.
fn parse_digest(s: &str, original: &str) -> Result<Digest, ReferenceError> {
    let reference = original.to_string();
    let Some((alg, hex)) = s.split_once(':') else {
        return Err(ReferenceError::DigestFormat { reference });
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(ReferenceError::DigestUnsupported { reference }),
    };
    if hex.len() != len {
        return Err(ReferenceError::DigestLength { reference });
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ReferenceError::DigestFormat { reference });
    }
    Digest::from_str(s).map_err(|_| ReferenceError::DigestFormat { reference })
}

#[cfg(test)]
mod tests;
