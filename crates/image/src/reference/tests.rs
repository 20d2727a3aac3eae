//! Docker's own reference cases (distribution/reference *_test.go).

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

type Case<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<String>);

/// reference_test.go TestReferenceParse, through ParseNormalizedNamed:
/// (input, domain, path, tag, digest) or the error message.
#[test]
fn docker_reference_parse_table() {
    let f64 = "f".repeat(64);
    let f128 = "f".repeat(128);
    let ok: Vec<Case> = vec![
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
        let r =
            Reference::parse_normalized_named(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
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

/// The grammar with its counted repetitions checked in code decides and captures exactly
/// as Docker's expression with them, on names built around every bound.
#[test]
fn bounds_in_code_match_dockers_counted_repetitions() {
    let p = path_component();
    let docker = compile(&format!(
        "^((?:{}/)?{p}(?:/{p})*)(?::([0-9A-Za-z_][0-9A-Za-z_.-]{{0,127}}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{{32,}}))?$",
        domain_and_port()
    ));
    let docker_identifier = compile("^[a-f0-9]{64}$");
    let groups = |c: Option<regex_lite::Captures<'_>>| {
        c.map(|c| {
            (1..4)
                .map(|i| c.get(i).map(|m| m.as_str().to_string()))
                .collect::<Vec<_>>()
        })
    };
    let mut names = Vec::new();
    for name in [
        "busybox",
        "docker.io/library/busybox",
        "127.0.0.1:5000/a/b",
        "A/b",
        "a//b",
    ] {
        for tag in [
            None,
            Some(0),
            Some(1),
            Some(127),
            Some(128),
            Some(129),
            Some(300),
        ] {
            for hex in [
                None,
                Some(0),
                Some(31),
                Some(32),
                Some(33),
                Some(64),
                Some(65),
            ] {
                let mut s = name.to_string();
                if let Some(n) = tag {
                    s += &format!(":{}", "t".repeat(n));
                }
                if let Some(n) = hex {
                    s += &format!("@sha256:{}", "0f".repeat(n).get(..n).unwrap());
                }
                names.push(s.clone());
                names.push(s.to_uppercase());
            }
        }
    }
    for n in [63, 64, 65] {
        names.push("ab".repeat(n).get(..n).unwrap().to_string());
        names.push("AB".repeat(n).get(..n).unwrap().to_string());
        names.push("gb".repeat(n).get(..n).unwrap().to_string());
    }
    for s in &names {
        assert_eq!(
            groups(reference_captures(s)),
            groups(docker.captures(s)),
            "{s:?}"
        );
        assert_eq!(is_identifier(s), docker_identifier.is_match(s), "{s:?}");
    }
    assert!(names.len() > 400);
}
