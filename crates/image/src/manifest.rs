//! Manifests and indexes: OCI image spec and Docker schema 2 (manifest and manifest list),
//! platform selection and image configs. The types are oci-spec's: a Docker schema 2
//! manifest has the shape of an OCI manifest and a manifest list that of an OCI index, so
//! both parse into them and keep their own `mediaType`.

use std::fmt;
use std::str::FromStr;

use oci_spec::image::{Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest};
use serde::Deserialize;

use crate::error::{Error, Result};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_MANIFEST_V1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const DOCKER_LAYER_FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/// The `Accept` list of a manifest request: all four media types berth understands.
pub const MANIFEST_ACCEPT: [&str; 4] = [
    OCI_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
];

/// A parsed manifest: one image, or an index over several (multi-platform).
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    Image(Box<ImageManifest>),
    Index(Box<ImageIndex>),
}

/// A manifest together with its exact bytes, media type and digest.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
    pub manifest: Manifest,
}

impl RawManifest {
    /// A descriptor pointing at this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.as_str().into(),
            self.bytes.len() as u64,
            self.digest.clone(),
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<u32>,
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    layers: Option<serde_json::Value>,
    fs_layers: Option<serde_json::Value>,
}

/// Parse manifest bytes. `content_type` is the registry's `Content-Type`, if any; the
/// document's own `mediaType` wins, then the header, then its shape (`manifests` or
/// `layers`). `what` names the manifest in errors (a reference or digest).
pub fn parse(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<(String, Manifest)> {
    let invalid = |reason: String| Error::ManifestInvalid {
        what: what.to_string(),
        reason,
    };
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_string())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "text/plain");
    let media_type = match (probe.media_type, header) {
        (Some(m), _) => m,
        (None, Some(h)) => h,
        (None, None) if probe.manifests.is_some() => OCI_INDEX.to_string(),
        (None, None) if probe.layers.is_some() => OCI_MANIFEST.to_string(),
        (None, None) if probe.fs_layers.is_some() => DOCKER_MANIFEST_V1.to_string(),
        (None, None) => return Err(invalid("no mediaType, manifests or layers".into())),
    };
    match media_type.as_str() {
        DOCKER_MANIFEST_V1 | DOCKER_MANIFEST_V1_SIGNED => {
            return Err(Error::SchemaV1 {
                reference: what.to_string(),
            })
        }
        OCI_MANIFEST | DOCKER_MANIFEST | OCI_INDEX | DOCKER_MANIFEST_LIST => {}
        other => {
            return Err(Error::UnsupportedMediaType {
                what: what.to_string(),
                media_type: other.to_string(),
            })
        }
    }
    if probe.schema_version != Some(2) {
        return Err(invalid(format!(
            "schemaVersion {:?}, expected 2",
            probe.schema_version
        )));
    }
    let manifest = if media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST {
        Manifest::Index(serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?)
    } else {
        Manifest::Image(serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?)
    };
    Ok((media_type, manifest))
}

/// Parse an image config (OCI or Docker; Docker's extra fields are ignored).
pub fn parse_config(bytes: &[u8], digest: &Digest) -> Result<ImageConfiguration> {
    serde_json::from_slice(bytes).map_err(|e| Error::ConfigInvalid {
        digest: digest.to_string(),
        reason: e.to_string(),
    })
}

/// A platform to select: `os/arch[/variant]`, normalised as containerd does
/// (`x86_64` = `amd64`, `aarch64` = `arm64`, `arm64/v8` = `arm64`, `arm` = `arm/v7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Default for PlatformSpec {
    /// linux/amd64, Docker's default on the machines berth targets.
    fn default() -> Self {
        PlatformSpec {
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
        }
    }
}

impl PlatformSpec {
    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Self {
        let (arch, variant) = normalize_arch(arch, variant.unwrap_or(""));
        PlatformSpec {
            os: os.to_ascii_lowercase(),
            arch,
            variant: (!variant.is_empty()).then_some(variant),
        }
    }

    /// The platform berth itself runs on.
    pub fn host() -> Self {
        PlatformSpec::new(std::env::consts::OS, std::env::consts::ARCH, None)
    }

    /// Whether an index entry's platform matches. An unset variant here matches any variant.
    pub fn matches(&self, p: &oci_spec::image::Platform) -> bool {
        let other = PlatformSpec::new(
            &p.os().to_string(),
            &p.architecture().to_string(),
            p.variant().as_deref(),
        );
        self.os == other.os
            && self.arch == other.arch
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for PlatformSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || Error::InvalidPlatform {
            value: s.to_string(),
        };
        if parts
            .iter()
            .any(|p| p.is_empty() || p.contains(char::is_whitespace))
        {
            return Err(bad());
        }
        match parts.as_slice() {
            [os, arch] => Ok(PlatformSpec::new(os, arch, None)),
            [os, arch, variant] => Ok(PlatformSpec::new(os, arch, Some(variant))),
            _ => Err(bad()),
        }
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => (
            "amd64".into(),
            if variant == "v1" {
                String::new()
            } else {
                variant
            },
        ),
        "aarch64" | "arm64" => (
            "arm64".into(),
            if variant == "8" || variant == "v8" {
                String::new()
            } else {
                variant
            },
        ),
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".to_string(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// Pick the manifest for `platform` from an index, as Docker does: entries without a
/// platform and attestation entries (`unknown/unknown`) are skipped; an exact variant match
/// is preferred over an entry matching only os/arch.
pub fn select_platform<'a>(
    index: &'a ImageIndex,
    platform: &PlatformSpec,
) -> Result<&'a Descriptor> {
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| d.platform().as_ref().is_some_and(|p| platform.matches(p)))
        .collect();
    if let Some(exact) = candidates.iter().find(|d| {
        d.platform().as_ref().is_some_and(|p| {
            PlatformSpec::new(
                &p.os().to_string(),
                &p.architecture().to_string(),
                p.variant().as_deref(),
            ) == *platform
        })
    }) {
        return Ok(exact);
    }
    if let Some(first) = candidates.first() {
        return Ok(first);
    }
    let available: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|d| d.platform().as_ref())
        .map(|p| {
            PlatformSpec::new(
                &p.os().to_string(),
                &p.architecture().to_string(),
                p.variant().as_deref(),
            )
            .to_string()
        })
        .filter(|p| p != "unknown/unknown")
        .collect();
    Err(Error::NoMatchingPlatform {
        platform: platform.to_string(),
        available: available.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    const D4: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

    fn docker_list() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST_LIST}","manifests":[
            {{"mediaType":"{DOCKER_MANIFEST}","digest":"{D1}","size":527,"platform":{{"architecture":"amd64","os":"linux"}}}},
            {{"mediaType":"{DOCKER_MANIFEST}","digest":"{D2}","size":527,"platform":{{"architecture":"arm","os":"linux","variant":"v6"}}}},
            {{"mediaType":"{DOCKER_MANIFEST}","digest":"{D3}","size":527,"platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}},
            {{"mediaType":"{DOCKER_MANIFEST}","digest":"{D4}","size":527,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":527,"platform":{{"architecture":"unknown","os":"unknown"}}}}]}}"#
        )
    }

    #[test]
    fn docker_manifest_list_and_platforms() {
        let (mt, m) = parse(docker_list().as_bytes(), None, "busybox").unwrap();
        assert_eq!(mt, DOCKER_MANIFEST_LIST);
        let Manifest::Index(idx) = m else {
            panic!("not an index")
        };
        let pick =
            |s: &str| select_platform(&idx, &s.parse().unwrap()).map(|d| d.digest().to_string());
        assert_eq!(pick("linux/amd64").unwrap(), D1);
        assert_eq!(pick("linux/x86_64").unwrap(), D1);
        assert_eq!(pick("linux/arm").unwrap(), D3);
        assert_eq!(pick("linux/arm/v6").unwrap(), D2);
        assert_eq!(pick("linux/arm64").unwrap(), D4);
        assert_eq!(pick("linux/aarch64/v8").unwrap(), D4);
        let err = pick("linux/s390x").unwrap_err().to_string();
        assert!(
            err.starts_with("no matching manifest for linux/s390x in the manifest list entries"),
            "{err}"
        );
        assert!(!err.contains("unknown"), "{err}");
        assert_eq!(
            select_platform(&idx, &PlatformSpec::default())
                .unwrap()
                .digest()
                .to_string(),
            D1
        );
    }

    #[test]
    fn docker_and_oci_manifests() {
        let docker = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}",
            "config":{{"mediaType":"{DOCKER_CONFIG}","size":1469,"digest":"{D1}"}},
            "layers":[{{"mediaType":"{DOCKER_LAYER_GZIP}","size":2,"digest":"{D2}"}}]}}"#
        );
        let (mt, m) = parse(docker.as_bytes(), Some("application/json"), "x").unwrap();
        assert_eq!(mt, DOCKER_MANIFEST);
        let Manifest::Image(im) = m else { panic!() };
        assert_eq!(im.layers().len(), 1);
        assert_eq!(im.config().digest().to_string(), D1);

        // OCI without mediaType: the Content-Type header decides; without one, the shape.
        let oci = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{OCI_CONFIG}","size":3,"digest":"{D1}"}},"layers":[]}}"#
        );
        assert_eq!(
            parse(oci.as_bytes(), Some(OCI_MANIFEST), "x").unwrap().0,
            OCI_MANIFEST
        );
        assert_eq!(parse(oci.as_bytes(), None, "x").unwrap().0, OCI_MANIFEST);
        let idx = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            parse(idx.as_bytes(), None, "x").unwrap().1,
            Manifest::Index(_)
        ));
    }

    #[test]
    fn bad_manifests_are_errors() {
        assert!(matches!(
            parse(br#"{"schemaVersion":1,"fsLayers":[]}"#, None, "old:1"),
            Err(Error::SchemaV1 { .. })
        ));
        assert!(matches!(
            parse(
                br#"{"schemaVersion":2,"mediaType":"text/html","layers":[]}"#,
                None,
                "x"
            ),
            Err(Error::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            parse(b"<html>", None, "x"),
            Err(Error::ManifestInvalid { .. })
        ));
        assert!(matches!(
            parse(
                format!(r#"{{"schemaVersion":3,"mediaType":"{OCI_INDEX}","manifests":[]}}"#)
                    .as_bytes(),
                None,
                "x"
            ),
            Err(Error::ManifestInvalid { .. })
        ));
        assert!(matches!(
            parse(
                format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","layers":"no"}}"#)
                    .as_bytes(),
                None,
                "x"
            ),
            Err(Error::ManifestInvalid { .. })
        ));
    }

    #[test]
    fn platform_strings() {
        assert_eq!(
            "linux/arm64/v8"
                .parse::<PlatformSpec>()
                .unwrap()
                .to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "linux/arm".parse::<PlatformSpec>().unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            "Linux/AMD64".parse::<PlatformSpec>().unwrap().to_string(),
            "linux/amd64"
        );
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", ""] {
            assert!(bad.parse::<PlatformSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_config_parses() {
        let cfg = br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"],"Env":["PATH=/bin"]},
            "container_config":{"Hostname":"x"},"docker_version":"20.10",
            "rootfs":{"type":"layers","diff_ids":["sha256:2222222222222222222222222222222222222222222222222222222222222222"]},
            "history":[{"created":"2024-01-01T00:00:00Z","created_by":"ADD file"}]}"#;
        let c = parse_config(cfg, &crate::digest::parse(D1).unwrap()).unwrap();
        assert_eq!(c.rootfs().diff_ids().len(), 1);
        assert!(parse_config(b"{", &crate::digest::parse(D1).unwrap()).is_err());
    }
}
