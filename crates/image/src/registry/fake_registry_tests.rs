//! The client against a small scripted registry on 127.0.0.1: Bearer token auth with
//! credentials from config.json, and a layer download whose connection drops half-way and
//! is resumed with `Range`. (docker-registry itself cannot be made to do either.)

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::*;
use crate::digest::sha256_of;
use crate::progress::ProgressEvent;
use crate::reference::Reference;
use crate::store::BlobStore;

struct Req {
    path: String,
    headers: HashMap<String, String>,
}

fn read_request(s: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Some(Req { path, headers })
}

fn respond(mut s: &TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

struct Fake {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    manifest_digest: String,
    layer: Vec<u8>,
}

/// Serves repository `app`, tag `v1`, behind a token server at `/token` that wants
/// `user:secret`; the first layer download is cut after half the bytes.
/// How the layer download misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// First answer cut half-way; ranged requests honoured.
    CutThenRange,
    /// First answer cut half-way; `Range` ignored (a full 200 each time).
    CutIgnoringRange,
    /// First answer a 500; then the whole blob.
    ErrorOnce,
}

fn start_fake(mode: Mode) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let layer: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let (ld, cd) = (
        sha256_of(&layer).to_string(),
        sha256_of(&config).to_string(),
    );
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{ld}","size":{}}}]}}"#,
        crate::manifest::DOCKER_MANIFEST,
        crate::manifest::DOCKER_CONFIG,
        config.len(),
        crate::manifest::DOCKER_LAYER_GZIP,
        layer.len()
    );
    let manifest_digest = sha256_of(manifest.as_bytes()).to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (log2, layer2) = (log.clone(), layer.clone());
    std::thread::spawn(move || {
        let mut layer_requests = 0;
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let Some(req) = read_request(&s) else {
                continue;
            };
            let auth = req
                .headers
                .get("authorization")
                .cloned()
                .unwrap_or_default();
            let range = req.headers.get("range").cloned();
            log2.lock()
                .unwrap()
                .push(format!("{} auth={auth} range={range:?}", req.path));
            let challenge = (
                "WWW-Authenticate",
                format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="fake""#),
            );
            if req.path.starts_with("/token") {
                // base64("user:secret")
                if auth == "Basic dXNlcjpzZWNyZXQ=" {
                    respond(&s, "200 OK", &[], br#"{"token":"T1"}"#);
                } else {
                    respond(
                        &s,
                        "401 Unauthorized",
                        &[],
                        br#"{"details":"bad credentials"}"#,
                    );
                }
                continue;
            }
            if auth != "Bearer T1" {
                respond(
                    &s,
                    "401 Unauthorized",
                    &[challenge],
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                );
                continue;
            }
            match req.path.as_str() {
                "/v2/" => respond(&s, "200 OK", &[], b"{}"),
                "/v2/app/manifests/v1" => respond(
                    &s,
                    "200 OK",
                    &[("Content-Type", crate::manifest::DOCKER_MANIFEST.to_string())],
                    manifest.as_bytes(),
                ),
                p if p == format!("/v2/app/blobs/{cd}") => respond(&s, "200 OK", &[], &config),
                p if p == format!("/v2/app/blobs/{ld}") => {
                    layer_requests += 1;
                    if mode == Mode::ErrorOnce && layer_requests == 1 {
                        respond(&s, "500 Internal Server Error", &[], b"try again");
                        continue;
                    }
                    let range = if mode == Mode::CutIgnoringRange {
                        None
                    } else {
                        range
                    };
                    match range
                        .as_deref()
                        .and_then(|r| r.strip_prefix("bytes="))
                        .and_then(|r| r.strip_suffix('-'))
                    {
                        Some(start) => {
                            let start: usize = start.parse().unwrap();
                            let cr = format!("bytes {start}-{}/{}", layer2.len() - 1, layer2.len());
                            respond(
                                &s,
                                "206 Partial Content",
                                &[("Content-Range", cr)],
                                &layer2[start..],
                            );
                        }
                        None if layer_requests == 1 => {
                            // Promise everything, send half, drop the connection.
                            let mut st = &s;
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                                layer2.len()
                            );
                            let _ = st.write_all(head.as_bytes());
                            let _ = st.write_all(&layer2[..layer2.len() / 2]);
                            let _ = st.flush();
                            let _ = s.shutdown(std::net::Shutdown::Both);
                        }
                        None => respond(&s, "200 OK", &[], &layer2),
                    }
                }
                _ => respond(
                    &s,
                    "404 Not Found",
                    &[],
                    br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                ),
            }
        }
    });
    Fake {
        port,
        log,
        manifest_digest,
        layer,
    }
}

#[test]
fn bearer_auth_from_config_json_and_range_resume() {
    let fake = start_fake(Mode::CutThenRange);
    let host = format!("127.0.0.1:{}", fake.port);
    let t = tempfile::tempdir().unwrap();
    let cfg = t.path().join("config.json");
    config::login(&cfg, &host, &Credentials::new("user", "secret")).unwrap();
    let client = RegistryClient::new(
        RegistryConfig::default(),
        Some(AuthFile::load(&cfg).unwrap()),
    );
    let store = BlobStore::open(t.path().join("store")).unwrap();
    let events = Mutex::new(Vec::new());
    let progress = |e: ProgressEvent| events.lock().unwrap().push(e);
    let r = Reference::parse(&format!("{host}/app:v1")).unwrap();
    let pulled = client
        .pull(&r, &store, &PullOptions::default(), &progress)
        .unwrap();
    assert_eq!(pulled.repo_digest.to_string(), fake.manifest_digest);
    let layer_digest = sha256_of(&fake.layer);
    assert_eq!(store.read(&layer_digest).unwrap(), fake.layer);
    let log = fake.log.lock().unwrap().join("\n");
    assert!(
        log.contains(&format!("range=Some(\"bytes={}-\")", fake.layer.len() / 2)),
        "{log}"
    );
    assert!(
        log.contains("/token?service=fake&scope=repository%3Aapp%3Apull auth=Basic"),
        "{log}"
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, ProgressEvent::Retrying { .. })));

    // login() checks credentials against the token server.
    client
        .login(&host, &Credentials::new("user", "secret"))
        .unwrap();
    let e = client
        .login(&host, &Credentials::new("user", "wrong"))
        .unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e}");

    // Without credentials the token server refuses: Docker's "pull access denied".
    let anon = RegistryClient::new(RegistryConfig::default(), None);
    let e = anon
        .pull(
            &r,
            &store,
            &PullOptions::default(),
            &crate::progress::NoProgress,
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("pull access denied for {host}/app")),
        "{e}"
    );
}

#[test]
fn restarts_when_range_is_ignored_and_retries_a_500() {
    for mode in [Mode::CutIgnoringRange, Mode::ErrorOnce] {
        let fake = start_fake(mode);
        let host = format!("127.0.0.1:{}", fake.port);
        let t = tempfile::tempdir().unwrap();
        let cfg = t.path().join("config.json");
        config::login(&cfg, &host, &Credentials::new("user", "secret")).unwrap();
        let client = RegistryClient::new(
            RegistryConfig::default(),
            Some(AuthFile::load(&cfg).unwrap()),
        );
        let store = BlobStore::open(t.path().join("store")).unwrap();
        let r = Reference::parse(&format!("{host}/app:v1")).unwrap();
        client
            .pull(
                &r,
                &store,
                &PullOptions::default(),
                &crate::progress::NoProgress,
            )
            .unwrap();
        assert_eq!(store.read(&sha256_of(&fake.layer)).unwrap(), fake.layer);
        let log = fake.log.lock().unwrap();
        let layer_gets = log.iter().filter(|l| l.contains("/blobs/")).count();
        assert_eq!(layer_gets, 3, "config + two layer attempts: {log:?}");

        // One attempt only: the failure is reported with the blob and the registry.
        let store2 = BlobStore::open(t.path().join("store2")).unwrap();
        let fake2 = start_fake(mode);
        let host2 = format!("127.0.0.1:{}", fake2.port);
        config::login(&cfg, &host2, &Credentials::new("user", "secret")).unwrap();
        let client2 = RegistryClient::new(
            RegistryConfig::default(),
            Some(AuthFile::load(&cfg).unwrap()),
        );
        let r2 = Reference::parse(&format!("{host2}/app:v1")).unwrap();
        let opts = PullOptions {
            attempts: 1,
            ..Default::default()
        };
        let e = client2
            .pull(&r2, &store2, &opts, &crate::progress::NoProgress)
            .unwrap_err();
        let msg = e.to_string();
        if mode == Mode::ErrorOnce {
            assert!(
                matches!(e, Error::DownloadFailed { attempts: 1, .. }),
                "{msg}"
            );
            assert!(
                msg.contains(&host2) && msg.contains(&sha256_of(&fake.layer).to_string()),
                "{msg}"
            );
        } else {
            assert!(
                matches!(e, Error::DownloadFailed { .. } | Error::SizeMismatch { .. }),
                "{msg}"
            );
        }
        assert!(store2.list().unwrap().is_empty(), "rolled back");
    }
}
