//! Registry authentication: `WWW-Authenticate` challenges (Bearer token and Basic), and the
//! token request of the Docker token protocol (distribution docs/spec/auth/token.md).

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{Error, Result};

/// A user name and password (or token used as password).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The value of an `Authorization: Basic …` header.
    pub fn basic_header(&self) -> String {
        format!("Basic {}", self.encoded())
    }

    /// base64(`user:password`), the `auth` field of config.json.
    pub fn encoded(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.username, self.password))
    }

    /// Decode the `auth` field of config.json.
    pub fn decode(auth: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':')?;
        Some(Credentials::new(u, p))
    }
}

/// What a registry asked for in its `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// No authentication needed (`/v2/` answered 200).
    None,
    Basic {
        realm: Option<String>,
    },
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parse a `WWW-Authenticate` header value (RFC 7235 auth-params, quoted or not).
    pub fn parse(header: &str, registry: &str) -> Result<Self> {
        let bad = || Error::BadChallenge {
            registry: registry.to_string(),
            header: header.to_string(),
        };
        let header = header.trim();
        let (scheme, rest) = header
            .split_once(char::is_whitespace)
            .unwrap_or((header, ""));
        let params = parse_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Ok(Challenge::Basic {
                realm: get("realm"),
            })
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Ok(Challenge::Bearer {
                realm: get("realm").ok_or_else(bad)?,
                service: get("service"),
                scope: get("scope"),
            })
        } else {
            Err(bad())
        }
    }
}

fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n)
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Fetch a bearer token for `scopes` from the challenge's realm.
pub(crate) fn fetch_token(
    agent: &ureq::Agent,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    creds: Option<&Credentials>,
) -> Result<String> {
    let mut req = agent.get(realm);
    if let Some(s) = service {
        req = req.query("service", s);
    }
    for s in scopes {
        req = req.query("scope", s);
    }
    if let Some(c) = creds {
        req = req.set("Authorization", &c.basic_header());
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(status, r)) => {
            return Err(Error::TokenRequest {
                registry: registry.to_string(),
                realm: realm.to_string(),
                status,
                message: super::error_message(r),
            })
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(Error::Transport {
                registry: registry.to_string(),
                url: realm.to_string(),
                reason: t.to_string(),
            })
        }
    };
    let text = resp.into_string().map_err(|e| Error::Transport {
        registry: registry.to_string(),
        url: realm.to_string(),
        reason: e.to_string(),
    })?;
    let body: TokenResponse = serde_json::from_str(&text).map_err(|e| Error::RegistryProtocol {
        registry: registry.to_string(),
        what: format!("token from {realm}"),
        reason: e.to_string(),
    })?;
    body.token
        .or(body.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::RegistryProtocol {
            registry: registry.to_string(),
            what: format!("token from {realm}"),
            reason: "answer holds neither token nor access_token".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_hub_challenge() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
            "docker.io",
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/busybox:pull".into()),
            }
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#, "r").unwrap(),
            Challenge::Basic {
                realm: Some("Registry Realm".into())
            }
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm=http://127.0.0.1:1/t, service="a\"b""#, "r").unwrap(),
            Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: Some("a\"b".into()),
                scope: None
            }
        );
        assert!(Challenge::parse("Bearer service=x", "r").is_err());
        assert!(Challenge::parse("Negotiate", "r").is_err());
    }

    #[test]
    fn credentials_round_trip() {
        let c = Credentials::new("user", "pa:ss");
        assert_eq!(c.encoded(), "dXNlcjpwYTpzcw==");
        assert_eq!(Credentials::decode(&c.encoded()), Some(c.clone()));
        assert_eq!(c.basic_header(), "Basic dXNlcjpwYTpzcw==");
        assert!(!format!("{c:?}").contains("pa:ss"));
        assert_eq!(Credentials::decode("!!"), None);
    }
}
