//! `--security-opt`, `--cap-add`, `--cap-drop`. A `seccomp=FILE` profile is read here and
//! sent inline (`seccomp=<compact JSON>`), as Docker's CLI does, so the container keeps
//! its profile even if the file changes; `seccomp=unconfined|builtin` and an already
//! inline `seccomp={…}` pass through. `systempaths=unconfined` empties the masked and
//! read-only path lists and is not stored.

use super::error::{go_io_error, FlagError};

/// The security options to store and the path lists `systempaths=unconfined` clears.
#[derive(Debug, Default, PartialEq)]
pub struct Security {
    pub opts: Vec<String>,
    /// `Some(vec![])` with `systempaths=unconfined`.
    pub masked_paths: Option<Vec<String>>,
    pub readonly_paths: Option<Vec<String>>,
}

/// Parses every `--security-opt`.
pub fn parse_security_opts(values: &[String]) -> Result<Security, FlagError> {
    let mut out = Security::default();
    for opt in values {
        let (key, value, ok) = match opt.split_once('=') {
            Some((k, v)) => (k, v, true),
            None if opt != "no-new-privileges" => match opt.split_once(':') {
                Some((k, v)) => (k, v, true),
                None => (opt.as_str(), "", false),
            },
            None => (opt.as_str(), "", false),
        };
        if (!ok || value.is_empty()) && key != "no-new-privileges" {
            return Err(FlagError::invalid(format!(
                "invalid --security-opt: {}",
                super::error::quote(opt)
            )));
        }
        match key {
            "seccomp" => out.opts.push(seccomp(value)?),
            "systempaths" if value == "unconfined" => {
                out.masked_paths = Some(Vec::new());
                out.readonly_paths = Some(Vec::new());
            }
            "no-new-privileges" if ok => {
                super::error::parse_go_bool(value).map_err(|_| {
                    FlagError::daemon(format!(
                        "invalid --security-opt 2: {}",
                        super::error::quote(opt)
                    ))
                })?;
                out.opts.push(opt.clone());
            }
            "no-new-privileges" | "apparmor" | "label" | "systempaths" | "writable-cgroups" => {
                out.opts.push(opt.clone())
            }
            _ => {
                return Err(FlagError::daemon(format!(
                    "invalid --security-opt 2: {}",
                    super::error::quote(opt)
                )))
            }
        }
    }
    Ok(out)
}

fn seccomp(value: &str) -> Result<String, FlagError> {
    if matches!(value, "unconfined" | "builtin") || value.trim_start().starts_with('{') {
        return Ok(format!("seccomp={value}"));
    }
    let bytes = std::fs::read(value).map_err(|e| {
        FlagError::invalid(format!(
            "opening seccomp profile ({value}) failed: {}",
            go_io_error("open", value, &e)
        ))
    })?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        FlagError::invalid(format!(
            "compacting json for seccomp profile ({value}) failed: {e}"
        ))
    })?;
    Ok(format!("seccomp={json}"))
}

/// Linux capability names (without `CAP_`), as the daemon knows them.
const CAPABILITIES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Checks `--cap-add`/`--cap-drop` names (`ALL`, `NET_ADMIN`, `cap_net_admin`), as the
/// daemon does; the values are stored as typed.
pub fn validate_caps(field: &str, caps: &[String]) -> Result<(), FlagError> {
    for c in caps {
        let upper = c.to_uppercase();
        if upper == "ALL" {
            continue;
        }
        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
        if !CAPABILITIES.contains(&name) {
            return Err(FlagError::daemon(format!(
                "invalid {field}: unknown capability: \"CAP_{name}\""
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Security, String> {
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        parse_security_opts(&v).map_err(|e| e.to_string())
    }

    #[test]
    fn options() {
        let s = parse(&[
            "no-new-privileges",
            "no-new-privileges:true",
            "no-new-privileges=false",
            "apparmor=unconfined",
            "label=disable",
            "seccomp=unconfined",
        ])
        .unwrap();
        assert_eq!(s.opts.len(), 6);
        assert_eq!(s.masked_paths, None);
        let s = parse(&["systempaths=unconfined"]).unwrap();
        assert!(s.opts.is_empty());
        assert_eq!(s.masked_paths, Some(vec![]));
    }

    #[test]
    fn seccomp_file_is_inlined() {
        let p = std::env::temp_dir().join(format!("berth-seccomp-{}.json", std::process::id()));
        std::fs::write(&p, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n").unwrap();
        let s = parse(&[&format!("seccomp={}", p.display())]).unwrap();
        assert_eq!(s.opts, [r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#]);
        let inline = parse(&[r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#]).unwrap();
        assert_eq!(inline.opts, s.opts);
        let missing = parse(&["seccomp=/nonexistent.json"]).unwrap_err();
        assert_eq!(
            missing,
            "opening seccomp profile (/nonexistent.json) failed: open /nonexistent.json: no such file or directory"
        );
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse(&["label"]).unwrap_err(),
            "invalid --security-opt: \"label\""
        );
        assert_eq!(
            parse(&["apparmor="]).unwrap_err(),
            "invalid --security-opt: \"apparmor=\""
        );
        assert_eq!(
            parse(&["bogus=1"]).unwrap_err(),
            "Error response from daemon: invalid --security-opt 2: \"bogus=1\""
        );
        assert_eq!(
            parse(&["no-new-privileges=maybe"]).unwrap_err(),
            "Error response from daemon: invalid --security-opt 2: \"no-new-privileges=maybe\""
        );
    }

    #[test]
    fn caps() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(validate_caps("CapAdd", &v(&["ALL", "net_admin", "CAP_SYS_ADMIN"])).is_ok());
        assert_eq!(
            validate_caps("CapAdd", &v(&["FOO"]))
                .unwrap_err()
                .to_string(),
            "Error response from daemon: invalid CapAdd: unknown capability: \"CAP_FOO\""
        );
    }
}
