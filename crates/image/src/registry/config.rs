//! Files the registry client reads: Docker's credentials file (`config.json`, `auths`) and
//! the registry settings of a daemon.json-style file (`registry-mirrors`,
//! `insecure-registries`).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::Credentials;
use crate::error::{Error, Result};
use crate::reference::DEFAULT_DOMAIN;

/// The key Docker uses for Docker Hub in `auths`.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Registry settings: mirrors (used for Docker Hub pulls, in order, before Docker Hub
/// itself) and registries to reach over plain HTTP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegistryConfig {
    #[serde(rename = "registry-mirrors", default)]
    pub mirrors: Vec<String>,
    #[serde(rename = "insecure-registries", default)]
    pub insecure_registries: Vec<String>,
}

impl RegistryConfig {
    /// Read the registry keys of a daemon.json-style file; other keys are ignored.
    /// A missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| Error::RegistryConfig {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Whether `host` (`name[:port]`) is reached over plain HTTP: loopback always (as
    /// Docker treats 127.0.0.0/8), plus the listed insecure registries.
    pub fn is_insecure(&self, host: &str) -> bool {
        let name = host_without_port(host);
        name == "localhost"
            || name.starts_with("127.")
            || name == "[::1]"
            || self.insecure_registries.iter().any(|r| {
                let r = strip_scheme(r).trim_end_matches('/');
                r == host || r == name
            })
    }
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn strip_scheme(s: &str) -> &str {
    s.strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s)
}

/// The host an `auths` key names: `https://index.docker.io/v1/` → `index.docker.io`.
fn key_host(key: &str) -> &str {
    let k = strip_scheme(key);
    k.split('/').next().unwrap_or(k)
}

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        DEFAULT_DOMAIN | "index.docker.io" | "registry-1.docker.io"
    )
}

/// The `auths` key berth writes for a registry host (Docker's own choice of key).
pub fn auth_key(registry: &str) -> String {
    if is_docker_hub(key_host(registry)) {
        DOCKER_HUB_AUTH_KEY.to_string()
    } else {
        key_host(registry).to_string()
    }
}

/// A Docker-compatible credentials file. Keys berth does not know (`credsStore`,
/// `HttpHeaders`, …) are kept as they are when the file is written back.
#[derive(Debug, Clone)]
pub struct AuthFile {
    path: PathBuf,
    doc: Map<String, Value>,
}

impl AuthFile {
    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(d).join("config.json"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
    }

    /// Read the file; a missing file is an empty one.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let doc = match fs::read(&path) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(b) => match serde_json::from_slice::<Value>(&b) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(Error::AuthConfig {
                        path,
                        reason: "not a JSON object".into(),
                    })
                }
                Err(e) => {
                    return Err(Error::AuthConfig {
                        path,
                        reason: e.to_string(),
                    })
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        Ok(AuthFile { path, doc })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Credentials stored for a registry host, matching keys as Docker does (with or
    /// without scheme and path; Docker Hub under any of its names).
    pub fn get(&self, registry: &str) -> Result<Option<Credentials>> {
        let want = key_host(registry);
        let Some(Value::Object(auths)) = self.doc.get("auths") else {
            return Ok(None);
        };
        for (key, entry) in auths {
            let host = key_host(key);
            if !(host == want || (is_docker_hub(host) && is_docker_hub(want))) {
                continue;
            }
            if let Some(auth) = entry
                .get("auth")
                .and_then(Value::as_str)
                .filter(|a| !a.is_empty())
            {
                return Credentials::decode(auth)
                    .map(Some)
                    .ok_or_else(|| Error::AuthConfig {
                        path: self.path.clone(),
                        reason: format!("auths[{key:?}].auth is not base64 of user:password"),
                    });
            }
            let user = entry.get("username").and_then(Value::as_str);
            let pass = entry.get("password").and_then(Value::as_str);
            if let (Some(u), Some(p)) = (user, pass) {
                return Ok(Some(Credentials::new(u, p)));
            }
        }
        Ok(None)
    }

    /// Record credentials (in memory; [`Self::save`] writes them).
    pub fn set(&mut self, registry: &str, creds: &Credentials) {
        self.remove(registry);
        let auths = self
            .doc
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        if let Value::Object(m) = auths {
            let mut entry = Map::new();
            entry.insert("auth".into(), Value::String(creds.encoded()));
            m.insert(auth_key(registry), Value::Object(entry));
        }
    }

    /// Forget a registry's credentials; whether there were any.
    pub fn remove(&mut self, registry: &str) -> bool {
        let want = key_host(registry);
        let Some(Value::Object(auths)) = self.doc.get_mut("auths") else {
            return false;
        };
        let before = auths.len();
        auths.retain(|k, _| {
            let h = key_host(k);
            !(h == want || (is_docker_hub(h) && is_docker_hub(want)))
        });
        auths.len() != before
    }

    /// Write the file atomically with mode 0600 (its directory 0700 when created).
    pub fn save(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io("create directory", dir, e))?;
        let bytes = serde_json::to_vec_pretty(&Value::Object(self.doc.clone())).map_err(|e| {
            Error::AuthConfig {
                path: self.path.clone(),
                reason: e.to_string(),
            }
        })?;
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io("write", &self.path, e)
        })
    }
}

/// Store credentials for `registry` in the file at `path` (mode 0600). Check them first
/// with [`super::RegistryClient::login`].
pub fn login(path: &Path, registry: &str, creds: &Credentials) -> Result<()> {
    let mut f = AuthFile::load(path)?;
    f.set(registry, creds);
    f.save()
}

/// Remove credentials for `registry`; whether there were any (Docker: "Not logged in to …").
pub fn logout(path: &Path, registry: &str) -> Result<bool> {
    let mut f = AuthFile::load(path)?;
    let had = f.remove(registry);
    if had {
        f.save()?;
    }
    Ok(had)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn reads_docker_file_and_keeps_unknown_keys() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("config.json");
        fs::write(
            &p,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},
                "127.0.0.1:5000":{"username":"a","password":"b"}},"credsStore":"desktop"}"#,
        )
        .unwrap();
        let f = AuthFile::load(&p).unwrap();
        assert_eq!(
            f.get("docker.io").unwrap(),
            Some(Credentials::new("user", "pass"))
        );
        assert_eq!(
            f.get("registry-1.docker.io").unwrap(),
            Some(Credentials::new("user", "pass"))
        );
        assert_eq!(
            f.get("127.0.0.1:5000").unwrap(),
            Some(Credentials::new("a", "b"))
        );
        assert_eq!(f.get("127.0.0.1:5001").unwrap(), None);

        login(&p, "localhost:5000", &Credentials::new("u", "p")).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains("credsStore"), "{text}");
        assert_eq!(
            AuthFile::load(&p).unwrap().get("localhost:5000").unwrap(),
            Some(Credentials::new("u", "p"))
        );

        assert!(logout(&p, "https://index.docker.io/v1/").unwrap());
        assert!(!logout(&p, "docker.io").unwrap());
        assert_eq!(AuthFile::load(&p).unwrap().get("docker.io").unwrap(), None);
    }

    #[test]
    fn new_file_is_private() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("sub").join("config.json");
        login(&p, "docker.io", &Credentials::new("u", "p")).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        let v: Value = serde_json::from_slice(&fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["auths"][DOCKER_HUB_AUTH_KEY]["auth"], "dTpw");
    }

    #[test]
    fn bad_files_are_errors() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("config.json");
        fs::write(&p, "[1]").unwrap();
        assert!(matches!(AuthFile::load(&p), Err(Error::AuthConfig { .. })));
        fs::write(&p, r#"{"auths":{"x":{"auth":"@@@"}}}"#).unwrap();
        assert!(AuthFile::load(&p).unwrap().get("x").is_err());
    }

    #[test]
    fn insecure_and_mirrors() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("daemon.json");
        fs::write(&p, r#"{"registry-mirrors":["http://127.0.0.1:5001"],"insecure-registries":["reg.lan:5000","http://other"],"debug":true}"#).unwrap();
        let c = RegistryConfig::load(&p).unwrap();
        assert_eq!(c.mirrors, vec!["http://127.0.0.1:5001"]);
        assert!(c.is_insecure("127.0.0.1:5000"));
        assert!(c.is_insecure("localhost"));
        assert!(c.is_insecure("[::1]:5000"));
        assert!(c.is_insecure("reg.lan:5000"));
        assert!(!c.is_insecure("reg.lan:5001"));
        assert!(c.is_insecure("other:80"));
        assert!(!c.is_insecure("docker.io"));
        assert_eq!(
            RegistryConfig::load(&t.path().join("none")).unwrap(),
            RegistryConfig::default()
        );
    }
}
