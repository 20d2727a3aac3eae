//! Registry HTTP API v2 client (distribution docs/spec/api.md), synchronous, over `ureq`
//! with rustls and the system's root certificates. Plain HTTP only for loopback and the
//! configured insecure registries.

pub mod auth;
pub mod config;
mod pull;
mod push;

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::reference::DEFAULT_DOMAIN;

pub use auth::{Challenge, Credentials};
pub use config::{AuthFile, RegistryConfig};
pub use pull::{PullOptions, PulledImage};
pub use push::PushOptions;

/// The API host of Docker Hub.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
const USER_AGENT: &str = concat!("berth/", env!("CARGO_PKG_VERSION"));
/// Manifests larger than this are refused (Docker's limit is 4 MiB).
pub(crate) const MANIFEST_MAX: u64 = 4 * 1024 * 1024;

/// The registry client. Cheap to share across threads (`&RegistryClient` is `Sync`).
pub struct RegistryClient {
    agent: ureq::Agent,
    config: RegistryConfig,
    auth_file: Option<AuthFile>,
    docker_hub: bool,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Where requests for one registry go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `http://127.0.0.1:5000` or `https://registry-1.docker.io`.
    pub base: String,
    /// The host credentials and errors are keyed by (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    pub mirror: bool,
}

impl RegistryClient {
    /// A client with these registry settings and, optionally, a credentials file.
    pub fn new(config: RegistryConfig, auth_file: Option<AuthFile>) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            .timeout_read(Duration::from_secs(120))
            .timeout_write(Duration::from_secs(120))
            .user_agent(USER_AGENT)
            .build();
        RegistryClient {
            agent,
            config,
            auth_file,
            docker_hub: true,
        }
    }

    /// Never contact Docker Hub itself: `docker.io` names go to the mirrors only
    /// (air-gapped hosts, and tests that must not leave 127.0.0.1).
    pub fn without_docker_hub(mut self) -> Self {
        self.docker_hub = false;
        self
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// The endpoints for a registry domain, in the order to try them (mirrors first, for
    /// Docker Hub pulls only).
    pub(crate) fn endpoints(&self, domain: &str, for_pull: bool) -> Vec<Endpoint> {
        let mut out = Vec::new();
        if domain == DEFAULT_DOMAIN {
            if for_pull {
                for m in &self.config.mirrors {
                    let base = m.trim_end_matches('/').to_string();
                    let host = base
                        .split("://")
                        .nth(1)
                        .unwrap_or(&base)
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    let base = if base.contains("://") {
                        base
                    } else if self.config.is_insecure(&host) {
                        format!("http://{base}")
                    } else {
                        format!("https://{base}")
                    };
                    out.push(Endpoint {
                        base,
                        registry: host,
                        mirror: true,
                    });
                }
            }
            if self.docker_hub {
                out.push(Endpoint {
                    base: format!("https://{DOCKER_HUB_API}"),
                    registry: DEFAULT_DOMAIN.to_string(),
                    mirror: false,
                });
            }
        } else {
            let scheme = if self.config.is_insecure(domain) {
                "http"
            } else {
                "https"
            };
            out.push(Endpoint {
                base: format!("{scheme}://{domain}"),
                registry: domain.to_string(),
                mirror: false,
            });
        }
        out
    }

    fn credentials(&self, registry: &str) -> Result<Option<Credentials>> {
        match &self.auth_file {
            Some(f) => f.get(registry),
            None => Ok(None),
        }
    }

    /// Open a session on `repository` of an endpoint: ping `/v2/`, learn the challenge and
    /// get a token for `actions` (`pull`, `pull,push`) on it and on `extra_pull` repos.
    pub(crate) fn session(
        &self,
        ep: &Endpoint,
        repository: &str,
        actions: &str,
        extra_pull: &[String],
        creds_override: Option<&Credentials>,
    ) -> Result<Session<'_>> {
        let creds = match creds_override {
            Some(c) => Some(c.clone()),
            None => self.credentials(&ep.registry)?,
        };
        let url = format!("{}/v2/", ep.base);
        let challenge = match self.agent.get(&url).call() {
            Ok(_) => Challenge::None,
            Err(ureq::Error::Status(401, r)) => {
                let header = r.header("www-authenticate").unwrap_or("").to_string();
                Challenge::parse(&header, &ep.registry)?
            }
            Err(ureq::Error::Status(status, r)) => {
                return Err(Error::RegistryStatus {
                    registry: ep.registry.clone(),
                    method: "GET",
                    url,
                    status,
                    message: error_message(r),
                })
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(Error::Transport {
                    registry: ep.registry.clone(),
                    url,
                    reason: t.to_string(),
                })
            }
        };
        let mut scopes = vec![format!("repository:{repository}:{actions}")];
        scopes.extend(
            extra_pull
                .iter()
                .filter(|r| *r != repository)
                .map(|r| format!("repository:{r}:pull")),
        );
        let s = Session {
            client: self,
            ep: ep.clone(),
            repository: repository.to_string(),
            challenge,
            creds,
            scopes,
            authorization: Mutex::new(None),
        };
        s.refresh_auth()?;
        Ok(s)
    }

    /// Check that a registry accepts these credentials (Docker's `login` before it writes
    /// config.json). Store them afterwards with [`config::login`].
    pub fn login(&self, registry: &str, creds: &Credentials) -> Result<()> {
        let ep = self
            .endpoints(registry, false)
            .into_iter()
            .next()
            .ok_or_else(|| Error::LoginFailed {
                registry: registry.into(),
                message: "no endpoint".into(),
            })?;
        let url = format!("{}/v2/", ep.base);
        let s = self
            .session(&ep, "", "pull", &[], Some(creds))
            .map_err(|e| match e {
                Error::TokenRequest {
                    status: 401,
                    message,
                    ..
                } => Error::LoginFailed {
                    registry: registry.into(),
                    message,
                },
                e => e,
            })?;
        match s.send(|a| a.get(&url), None) {
            Ok(_) => Ok(()),
            Err(Error::RegistryStatus {
                status: 401,
                message,
                ..
            }) => Err(Error::LoginFailed {
                registry: registry.into(),
                message,
            }),
            Err(e) => Err(e),
        }
    }
}

/// Requests for one repository on one endpoint, with its authorization.
pub(crate) struct Session<'c> {
    client: &'c RegistryClient,
    pub ep: Endpoint,
    pub repository: String,
    challenge: Challenge,
    creds: Option<Credentials>,
    scopes: Vec<String>,
    authorization: Mutex<Option<String>>,
}

/// The body of a request.
pub(crate) enum Body<'a> {
    Bytes(&'a [u8]),
}

impl Session<'_> {
    pub fn agent(&self) -> &ureq::Agent {
        &self.client.agent
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.ep.base, self.repository)
    }

    /// Compute the Authorization header anew (a fresh token for the session's scopes).
    fn refresh_auth(&self) -> Result<()> {
        let value = match &self.challenge {
            Challenge::None => None,
            Challenge::Basic { .. } => self.creds.as_ref().map(Credentials::basic_header),
            Challenge::Bearer { realm, service, .. } => {
                let scopes: Vec<String> = if self.repository.is_empty() {
                    Vec::new()
                } else {
                    self.scopes.clone()
                };
                let token = auth::fetch_token(
                    &self.client.agent,
                    &self.ep.registry,
                    realm,
                    service.as_deref(),
                    &scopes,
                    self.creds.as_ref(),
                )?;
                Some(format!("Bearer {token}"))
            }
        };
        if let Ok(mut a) = self.authorization.lock() {
            *a = value;
        }
        Ok(())
    }

    /// Add the Authorization header to a request.
    pub fn authorize(&self, req: ureq::Request) -> ureq::Request {
        match self.authorization.lock().ok().and_then(|a| a.clone()) {
            Some(v) => req.set("Authorization", &v),
            None => req,
        }
    }

    /// Send a request built by `build`, authorized; on 401 refresh the token once and retry.
    /// Status errors become [`Error::RegistryStatus`] naming the registry and URL.
    pub fn send(
        &self,
        build: impl Fn(&ureq::Agent) -> ureq::Request,
        body: Option<Body<'_>>,
    ) -> Result<ureq::Response> {
        let mut retried = false;
        loop {
            let req = self.authorize(build(&self.client.agent));
            let method = method_name(req.method());
            let url = req.url().to_string();
            let res = match &body {
                None => req.call(),
                Some(Body::Bytes(b)) => req.send_bytes(b),
            };
            match res {
                Ok(r) => return Ok(r),
                Err(ureq::Error::Status(401, _))
                    if !retried && self.challenge != Challenge::None =>
                {
                    retried = true;
                    self.refresh_auth()?;
                }
                Err(e) => return Err(self.status_error(method, url, e)),
            }
        }
    }

    pub fn status_error(&self, method: &'static str, url: String, e: ureq::Error) -> Error {
        match e {
            ureq::Error::Status(status, r) => Error::RegistryStatus {
                registry: self.ep.registry.clone(),
                method,
                url,
                status,
                message: error_message(r),
            },
            ureq::Error::Transport(t) => Error::Transport {
                registry: self.ep.registry.clone(),
                url,
                reason: t.to_string(),
            },
        }
    }

    /// Resolve a `Location` header against the endpoint.
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.ep.base)
        } else {
            format!("{}/{location}", self.ep.base)
        }
    }
}

/// Run `f` on every item with at most `workers` threads; the first error stops the
/// others from starting new items and is returned.
pub(crate) fn for_each_bounded<T: Send>(
    items: Vec<T>,
    workers: usize,
    name: &str,
    f: impl Fn(T) -> Result<()> + Sync,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let workers = workers.max(1).min(items.len().max(1));
    let queue = Mutex::new(std::collections::VecDeque::from(items));
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let panicked = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| loop {
                    if failed.load(Ordering::Relaxed) {
                        return;
                    }
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(item) = next else { return };
                    if let Err(e) = f(item) {
                        failed.store(true, Ordering::Relaxed);
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        return;
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).any(|r| r.is_err())
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    if panicked {
        return Err(Error::WorkerPanicked {
            reference: name.to_string(),
        });
    }
    Ok(())
}

pub(crate) fn method_name(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        _ => "request",
    }
}

/// The message of a registry error body (`{"errors":[{"code","message"}]}`), else its text.
pub(crate) fn error_message(r: ureq::Response) -> String {
    let status_text = r.status_text().to_string();
    let mut body = String::new();
    let _ = r.into_reader().take(64 * 1024).read_to_string(&mut body);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
        if let Some(errs) = v.get("errors").and_then(|e| e.as_array()) {
            let msgs: Vec<String> = errs
                .iter()
                .map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                    let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                    format!("{}: {msg}", code.to_lowercase().replace('_', " "))
                })
                .collect();
            if !msgs.is_empty() {
                return msgs.join("; ");
            }
        }
        if let Some(d) = v
            .get("details")
            .or_else(|| v.get("error"))
            .and_then(|d| d.as_str())
        {
            return d.to_string();
        }
    }
    let body = body.trim();
    if body.is_empty() {
        status_text
    } else {
        body.chars().take(300).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let c = RegistryClient::new(
            RegistryConfig {
                mirrors: vec!["127.0.0.1:5001".into(), "https://m.example/".into()],
                insecure_registries: vec![],
            },
            None,
        );
        let e = c.endpoints("docker.io", true);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].base, "http://127.0.0.1:5001");
        assert_eq!(e[1].base, "https://m.example");
        assert_eq!(e[2].base, "https://registry-1.docker.io");
        assert_eq!(c.endpoints("docker.io", false).len(), 1);
        let c = c.without_docker_hub();
        assert_eq!(c.endpoints("docker.io", true).len(), 2);
        assert!(c.endpoints("docker.io", false).is_empty());
        assert_eq!(
            c.endpoints("localhost:5000", true)[0].base,
            "http://localhost:5000"
        );
        assert_eq!(c.endpoints("ghcr.io", true)[0].base, "https://ghcr.io");
    }
}

#[cfg(test)]
mod fake_registry_tests;
