//! Image references, parsed and normalised exactly as Docker does
//! (github.com/distribution/reference: regexp.go, reference.go, normalize.go).
//!
//! The grammar is Docker's regular expressions, written here with the `regex` crate (RE2
//! semantics, like Go's), so edge cases (greedy domain, separators, tag length) match.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use oci_spec::image::Digest;
use regex::Regex;

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
const TAG: &str = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";

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

static ANCHORED_IDENTIFIER_RE: LazyLock<Regex> = LazyLock::new(|| compile("^[a-f0-9]{64}$"));

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
        if ANCHORED_IDENTIFIER_RE.is_match(s) {
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
        let Some(caps) = REFERENCE_RE.captures(s) else {
            if s.is_empty() {
                return Err(ReferenceError::NameEmpty);
            }
            if REFERENCE_RE.is_match(&s.to_lowercase()) {
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
mod tests {
    use super::*;

    const D: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    /// distribution/reference normalize_test.go TestValidateReferenceName.
    #[test]
    fn docker_valid_names() {
        for name in [
            "docker/docker",
            "library/debian",
            "debian",
            "docker.io/docker/docker",
            "docker.io/library/debian",
            "docker.io/debian",
            "index.docker.io/docker/docker",
            "index.docker.io/library/debian",
            "index.docker.io/debian",
            "127.0.0.1:5000/docker/docker",
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000/debian",
            "192.168.0.1",
            "192.168.0.1:80",
            "192.168.0.1:8/debian",
            "192.168.0.2:25000/debian",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "[fc00::1]:5000/docker",
            "[fc00::1]:5000/docker/docker",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "Docker/docker",
            "DOCKER/docker",
        ] {
            // Docker's test accepts "Docker/docker" because "Docker" is taken as a domain.
            assert!(
                Reference::parse_normalized_named(name).is_ok(),
                "{name} should parse"
            );
        }
    }

    #[test]
    fn docker_invalid_names() {
        for name in [
            "https://github.com/docker/docker",
            "docker/Docker",
            "-docker",
            "-docker/docker",
            "-docker.io/docker/docker",
            "docker///docker",
            "docker.io/docker/Docker",
            "docker.io/docker///docker",
            "[fc00::1]",
            "[fc00::1]:5000",
            "fc00::1:5000/debian",
            "[fe80::1%eth0]:5000/debian",
            "[2001:db8:3:4::192.0.2.33]:5000/debian",
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "",
            "a:b:c",
            "busybox:",
            "busybox@",
            ":latest",
            "busybox:-tag",
        ] {
            assert!(
                Reference::parse_normalized_named(name).is_err(),
                "{name:?} should fail"
            );
        }
    }

    /// normalize_test.go TestParseRepositoryInfo: (input, familiar name, full name).
    #[test]
    fn docker_repository_info() {
        for (input, familiar, full) in [
            ("fooo/bar", "fooo/bar", "docker.io/fooo/bar"),
            ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu"),
            (
                "nonlibrary/ubuntu",
                "nonlibrary/ubuntu",
                "docker.io/nonlibrary/ubuntu",
            ),
            ("ubuntu", "ubuntu", "docker.io/library/ubuntu"),
            ("other/library", "other/library", "docker.io/other/library"),
            (
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000/private/moonbase",
            ),
            (
                "127.0.0.1:8000/privatebase",
                "127.0.0.1:8000/privatebase",
                "127.0.0.1:8000/privatebase",
            ),
            (
                "example.com/private/moonbase",
                "example.com/private/moonbase",
                "example.com/private/moonbase",
            ),
            (
                "example.com/privatebase",
                "example.com/privatebase",
                "example.com/privatebase",
            ),
            (
                "example.com:8000/private/moonbase",
                "example.com:8000/private/moonbase",
                "example.com:8000/private/moonbase",
            ),
            (
                "example.com:8000/privatebase",
                "example.com:8000/privatebase",
                "example.com:8000/privatebase",
            ),
            (
                "localhost:8000/private/moonbase",
                "localhost:8000/private/moonbase",
                "localhost:8000/private/moonbase",
            ),
            (
                "localhost:8000/privatebase",
                "localhost:8000/privatebase",
                "localhost:8000/privatebase",
            ),
            (
                "localhost/privatebase",
                "localhost/privatebase",
                "localhost/privatebase",
            ),
            (
                "index.docker.io/library/ubuntu",
                "ubuntu",
                "docker.io/library/ubuntu",
            ),
            (
                "docker.io/library/ubuntu",
                "ubuntu",
                "docker.io/library/ubuntu",
            ),
            ("docker.io/ubuntu", "ubuntu", "docker.io/library/ubuntu"),
            (
                "index.docker.io/ubuntu",
                "ubuntu",
                "docker.io/library/ubuntu",
            ),
            (
                "ubuntu-12.04-base",
                "ubuntu-12.04-base",
                "docker.io/library/ubuntu-12.04-base",
            ),
            (
                "docker.io/library/foo/bar",
                "library/foo/bar",
                "docker.io/library/foo/bar",
            ),
        ] {
            let r = Reference::parse_normalized_named(input).unwrap();
            assert_eq!(r.familiar_name(), familiar, "{input}");
            assert_eq!(r.name(), full, "{input}");
        }
    }

    #[test]
    fn normalisation_and_familiar_form() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.familiar(), "busybox:latest");
        assert_eq!(r.domain(), "docker.io");
        assert_eq!(r.path(), "library/busybox");
        assert_eq!(r.manifest_reference(), "latest");

        let r = Reference::parse(&format!("localhost:5000/a/b:v1.2@{D}")).unwrap();
        assert_eq!(r.domain(), "localhost:5000");
        assert_eq!(r.path(), "a/b");
        assert_eq!(r.tag(), Some("v1.2"));
        assert_eq!(r.digest().unwrap().to_string(), D);
        assert_eq!(r.to_string(), format!("localhost:5000/a/b:v1.2@{D}"));
        assert_eq!(r.familiar(), format!("localhost:5000/a/b:v1.2@{D}"));
        assert_eq!(r.manifest_reference(), D);

        // A digest-only reference gets no default tag (Docker's TagNameOnly).
        let r = Reference::parse(&format!("busybox@{D}")).unwrap();
        assert_eq!(r.tag(), None);
        assert_eq!(r.familiar(), format!("busybox@{D}"));

        let r = Reference::parse("[fc00::1]:5000/app:1").unwrap();
        assert_eq!(r.domain(), "[fc00::1]:5000");
        assert_eq!(r.with_tag("2").unwrap().familiar(), "[fc00::1]:5000/app:2");
    }

    #[test]
    fn docker_error_wording() {
        let e = Reference::parse("Busybox").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
        assert_eq!(
            Reference::parse("foo::bar").unwrap_err().to_string(),
            "invalid reference format"
        );
        assert_eq!(
            Reference::parse("").unwrap_err().to_string(),
            "invalid reference format"
        );
        assert_eq!(
            Reference::parse(&"a".repeat(256)).unwrap_err().to_string(),
            "repository name must not be more than 255 characters"
        );
        assert_eq!(
            Reference::parse(&"a".repeat(64).replace('a', "f"))
                .unwrap_err()
                .to_string(),
            format!(
                "invalid repository name ({}), cannot specify 64-byte hexadecimal strings",
                "f".repeat(64)
            )
        );
        assert_eq!(
            Reference::parse("busybox@sha256:abc")
                .unwrap_err()
                .to_string(),
            "invalid reference format"
        );
        assert_eq!(
            Reference::parse(&format!("busybox@sha256:{}", "a".repeat(63)))
                .unwrap_err()
                .to_string(),
            "invalid checksum digest length"
        );
        assert_eq!(
            Reference::parse(&format!("busybox@sha256:{}", "a".repeat(65)))
                .unwrap_err()
                .to_string(),
            "invalid checksum digest length"
        );
        assert_eq!(
            Reference::parse(&format!("busybox@md5:{}", "a".repeat(32)))
                .unwrap_err()
                .to_string(),
            "unsupported digest algorithm"
        );
    }

    /// reference_test.go TestReferenceParse, through ParseNormalizedNamed:
    /// (input, domain, path, tag, digest) or the error message.
    #[test]
    fn docker_reference_parse_table() {
        let f64 = "f".repeat(64);
        let f128 = "f".repeat(128);
        let ok: Vec<(String, &str, &str, Option<&str>, Option<String>)> = vec![
            (
                "test_com".into(),
                "docker.io",
                "library/test_com",
                None,
                None,
            ),
            (
                "test.com:tag".into(),
                "docker.io",
                "library/test.com",
                Some("tag"),
                None,
            ),
            (
                "test.com:5000".into(),
                "docker.io",
                "library/test.com",
                Some("5000"),
                None,
            ),
            (
                "test.com/repo:tag".into(),
                "test.com",
                "repo",
                Some("tag"),
                None,
            ),
            ("test:5000/repo".into(), "test:5000", "repo", None, None),
            (
                "test:5000/repo:tag".into(),
                "test:5000",
                "repo",
                Some("tag"),
                None,
            ),
            (
                format!("test:5000/repo@sha256:{f64}"),
                "test:5000",
                "repo",
                None,
                Some(format!("sha256:{f64}")),
            ),
            (
                format!("test:5000/repo:tag@sha256:{f64}"),
                "test:5000",
                "repo",
                Some("tag"),
                Some(format!("sha256:{f64}")),
            ),
            (
                "sub-dom1.foo.com/bar/baz/quux".into(),
                "sub-dom1.foo.com",
                "bar/baz/quux",
                None,
                None,
            ),
            (
                "sub-dom1.foo.com/bar/baz/quux:some-long-tag".into(),
                "sub-dom1.foo.com",
                "bar/baz/quux",
                Some("some-long-tag"),
                None,
            ),
            (
                "b.gcr.io/test.example.com/my-app:test.example.com".into(),
                "b.gcr.io",
                "test.example.com/my-app",
                Some("test.example.com"),
                None,
            ),
            (
                "xn--n3h.com/myimage:xn--n3h.com".into(),
                "xn--n3h.com",
                "myimage",
                Some("xn--n3h.com"),
                None,
            ),
            (
                format!("xn--7o8h.com/myimage:xn--7o8h.com@sha512:{f128}"),
                "xn--7o8h.com",
                "myimage",
                Some("xn--7o8h.com"),
                Some(format!("sha512:{f128}")),
            ),
            (
                "foo_bar.com:8080".into(),
                "docker.io",
                "library/foo_bar.com",
                Some("8080"),
                None,
            ),
            (
                "foo/foo_bar.com:8080".into(),
                "docker.io",
                "foo/foo_bar.com",
                Some("8080"),
                None,
            ),
            (
                "192.168.1.1".into(),
                "docker.io",
                "library/192.168.1.1",
                None,
                None,
            ),
            (
                "192.168.1.1:tag".into(),
                "docker.io",
                "library/192.168.1.1",
                Some("tag"),
                None,
            ),
            (
                "192.168.1.1:5000".into(),
                "docker.io",
                "library/192.168.1.1",
                Some("5000"),
                None,
            ),
            ("192.168.1.1/repo".into(), "192.168.1.1", "repo", None, None),
            (
                "192.168.1.1:5000/repo".into(),
                "192.168.1.1:5000",
                "repo",
                None,
                None,
            ),
            (
                "192.168.1.1:5000/repo:5050".into(),
                "192.168.1.1:5000",
                "repo",
                Some("5050"),
                None,
            ),
            (
                "[2001:db8::1]/repo".into(),
                "[2001:db8::1]",
                "repo",
                None,
                None,
            ),
            (
                "[2001:db8::1]:5000/repo".into(),
                "[2001:db8::1]:5000",
                "repo",
                None,
                None,
            ),
            (
                "[2001:db8::1]:5000/repo:tag".into(),
                "[2001:db8::1]:5000",
                "repo",
                Some("tag"),
                None,
            ),
            (
                "[2001:db8:1:2:3:4:5:6]/repo:tag".into(),
                "[2001:db8:1:2:3:4:5:6]",
                "repo",
                Some("tag"),
                None,
            ),
            (
                "[2001:db8::1]:5000/repo:tag".into(),
                "[2001:db8::1]:5000",
                "repo",
                Some("tag"),
                None,
            ),
            (
                "lowercase:Uppercase".into(),
                "docker.io",
                "library/lowercase",
                Some("Uppercase"),
                None,
            ),
            ("localhost/repo".into(), "localhost", "repo", None, None),
            (
                "localhost:5000/a-b_c.d/e__f---g:v1".into(),
                "localhost:5000",
                "a-b_c.d/e__f---g",
                Some("v1"),
                None,
            ),
        ];
        for (input, domain, path, tag, digest) in ok {
            let r = Reference::parse_normalized_named(&input)
                .unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (r.domain(), r.path(), r.tag()),
                (domain, path, tag),
                "{input}"
            );
            assert_eq!(r.digest().map(|d| d.to_string()), digest, "{input}");
        }
        let err: Vec<(String, &str)> = vec![
            (":justtag".into(), "invalid reference format"),
            (format!("@sha256:{f64}"), "invalid reference format"),
            ("[2001:db8::1]".into(), "invalid reference format"),
            ("[2001:db8::1]:tag".into(), "invalid reference format"),
            ("[2001:db8::1]:5000".into(), "invalid reference format"),
            (
                "[2001:db8::1]:5000/repo:tag!".into(),
                "invalid reference format",
            ),
            (
                "repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff:tag"
                    .into(),
                "invalid reference format",
            ),
            (
                format!("validname@invaliddigest:{f64}"),
                "unsupported digest algorithm",
            ),
            (
                "Uppercase:tag".into(),
                "invalid reference format: repository name (library/Uppercase) must be lowercase",
            ),
            (
                "test:5000/Uppercase/lowercase:tag".into(),
                "invalid reference format: repository name (Uppercase/lowercase) must be lowercase",
            ),
            (
                format!("a/{}", "a".repeat(245)),
                "repository name must not be more than 255 characters",
            ),
        ];
        for (input, msg) in err {
            let e = Reference::parse_normalized_named(&input).map(|r| r.to_string());
            assert_eq!(
                e.map_err(|e| e.to_string()),
                Err(msg.to_string()),
                "{input}"
            );
        }
    }

    /// reference_test.go TestReferenceParse (the subset about tags and lengths).
    #[test]
    fn tag_grammar() {
        let tag128 = "a".repeat(128);
        assert!(Reference::parse(&format!("busybox:{tag128}")).is_ok());
        assert!(Reference::parse(&format!("busybox:{tag128}a")).is_err());
        assert!(Reference::parse("busybox:_x.y-z").is_ok());
        assert!(Reference::parse("busybox:.x").is_err());
        assert!(Reference::parse("a__b").is_ok());
        assert!(Reference::parse("a___b").is_err());
        assert!(Reference::parse("a---b").is_ok());
        assert!(Reference::parse("a..b").is_err());
        assert!(Reference::parse("a_").is_err());
        // An upper-case domain is fine; an upper-case path is not.
        assert_eq!(
            Reference::parse("Example.com/app").unwrap().domain(),
            "Example.com"
        );
        assert_eq!(
            Reference::parse("localhost:5000/App")
                .unwrap_err()
                .to_string(),
            "invalid reference format: repository name (App) must be lowercase"
        );
    }
}
