//! Loading and checking a bundle's config.json before anything is made.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Result, RuntimeError};

/// A bundle whose config parsed and passed the checks below.
pub struct Bundle {
    pub dir: PathBuf,
    pub spec: Spec,
    /// Absolute path of the root filesystem.
    pub rootfs: PathBuf,
}

fn invalid(path: &Path, msg: impl Into<String>) -> RuntimeError {
    RuntimeError::InvalidConfig {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// Parses `config.json` text; a bad field is named by its JSON path.
pub fn parse(config_path: &Path, text: &[u8]) -> Result<Spec> {
    let de = &mut serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        if at == "." {
            invalid(config_path, e.into_inner().to_string())
        } else {
            invalid(config_path, format!("field {at}: {}", e.into_inner()))
        }
    })
}

/// Reads and validates `<bundle>/config.json`.
pub fn load(bundle: &Path) -> Result<Bundle> {
    let dir = std::path::absolute(bundle).map_err(|e| RuntimeError::Read {
        path: bundle.to_path_buf(),
        source: e,
    })?;
    let config_path = dir.join("config.json");
    let text = std::fs::read(&config_path).map_err(|e| RuntimeError::Read {
        path: config_path.clone(),
        source: e,
    })?;
    let spec = parse(&config_path, &text)?;
    let rootfs = validate(&config_path, &dir, &spec)?;
    Ok(Bundle { dir, spec, rootfs })
}

/// The checks that must pass before the runtime makes anything; returns the rootfs.
pub fn validate(config_path: &Path, dir: &Path, spec: &Spec) -> Result<PathBuf> {
    let root = spec.root().as_ref().ok_or_else(|| {
        invalid(
            config_path,
            "field root: missing (the root filesystem is required)",
        )
    })?;
    let rootfs = if root.path().is_absolute() {
        root.path().clone()
    } else {
        dir.join(root.path())
    };
    match std::fs::metadata(&rootfs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(invalid(
                config_path,
                format!("field root.path: {} is not a directory", rootfs.display()),
            ))
        }
        Err(e) => {
            return Err(invalid(
                config_path,
                format!(
                    "field root.path: rootfs {} cannot be used: {e}",
                    rootfs.display()
                ),
            ))
        }
    }
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| invalid(config_path, "field process: missing"))?;
    if process.args().as_ref().is_none_or(|a| a.is_empty()) {
        return Err(invalid(
            config_path,
            "field process.args: at least one argument is required",
        ));
    }
    if !process.cwd().is_absolute() {
        return Err(invalid(
            config_path,
            format!(
                "field process.cwd: {:?} is not an absolute path",
                process.cwd()
            ),
        ));
    }
    let linux = spec.linux().as_ref().ok_or_else(|| {
        invalid(
            config_path,
            "field linux: missing (only Linux containers are supported)",
        )
    })?;
    let mut seen = HashSet::new();
    for ns in linux.namespaces().iter().flatten() {
        if !seen.insert(ns.typ()) {
            return Err(invalid(
                config_path,
                format!(
                    "field linux.namespaces: namespace type {} appears twice",
                    ns.typ()
                ),
            ));
        }
        if ns.typ() == LinuxNamespaceType::Time && !Path::new("/proc/self/ns/time").exists() {
            return Err(invalid(
                config_path,
                "field linux.namespaces: this kernel has no time namespaces",
            ));
        }
    }
    let has_userns = seen.contains(&LinuxNamespaceType::User);
    let maps_given = linux.uid_mappings().as_ref().is_some_and(|m| !m.is_empty())
        || linux.gid_mappings().as_ref().is_some_and(|m| !m.is_empty());
    if !has_userns && maps_given {
        return Err(invalid(
            config_path,
            "field linux.uidMappings: mappings given without a user namespace in linux.namespaces",
        ));
    }
    if linux.sysctl().as_ref().is_some_and(|s| !s.is_empty()) {
        for key in linux.sysctl().iter().flat_map(|s| s.keys()) {
            if key.contains("..") || key.starts_with('/') {
                return Err(invalid(
                    config_path,
                    format!("field linux.sysctl: invalid key {key:?}"),
                ));
            }
        }
    }
    for m in spec.mounts().iter().flatten() {
        if !m.destination().is_absolute() {
            return Err(invalid(
                config_path,
                format!(
                    "field mounts: destination {:?} is not absolute",
                    m.destination()
                ),
            ));
        }
    }
    Ok(rootfs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_namespace_is_named() {
        let text = br#"{"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"bogus"}]}}"#;
        let err = parse(Path::new("/b/config.json"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("linux.namespaces"), "{err}");
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn malformed_json_is_reported_with_the_file() {
        let err = parse(Path::new("/b/config.json"), b"{not json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/b/config.json"), "{err}");
    }

    #[test]
    fn missing_rootfs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec::default();
        let err = validate(&dir.path().join("config.json"), dir.path(), &spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("root.path"), "{err}");
    }

    #[test]
    fn duplicate_namespace_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("rootfs")).unwrap();
        let text = br#"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},
            "linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}}"#;
        let spec = parse(Path::new("c"), text).unwrap();
        let err = validate(Path::new("c"), dir.path(), &spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("appears twice"), "{err}");
    }
}
