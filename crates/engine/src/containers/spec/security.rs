//! `--security-opt`, parsed as moby's `parseSecurityOpt`: `seccomp=`, `apparmor=`,
//! `label=`, `no-new-privileges[=bool]`, `systempaths=unconfined`, `writable-cgroups=bool`
//! (`key:value` is the deprecated spelling and still accepted).

use super::SpecError;

/// Which seccomp filter the container gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SeccompChoice {
    /// Docker's default profile (`seccomp=builtin` or nothing).
    #[default]
    Default,
    /// `seccomp=unconfined`: no filter.
    Unconfined,
    /// A profile: a JSON file's path, or the JSON itself (as the Docker API sends it).
    Profile(String),
}

/// The parsed options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityOpts {
    pub seccomp: SeccompChoice,
    /// `apparmor=PROFILE`, passed to the runtime as `process.apparmorProfile`.
    pub apparmor: Option<String>,
    /// `label=…` parts (`disable`, `type:…`, `level:…`), for SELinux.
    pub labels: Vec<String>,
    pub no_new_privileges: bool,
    /// `systempaths=unconfined`: no masked or read-only paths.
    pub systempaths_unconfined: bool,
    /// `writable-cgroups=…`; `None` = writable only when privileged.
    pub writable_cgroups: Option<bool>,
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Parses every `--security-opt`.
pub fn parse(opts: &[String]) -> Result<SecurityOpts, SpecError> {
    let mut out = SecurityOpts::default();
    for opt in opts {
        let bad = || SpecError::InvalidSecurityOpt { opt: opt.clone() };
        match opt.as_str() {
            "systempaths=unconfined" => {
                out.systempaths_unconfined = true;
                continue;
            }
            "no-new-privileges" => {
                out.no_new_privileges = true;
                continue;
            }
            "disable" => {
                out.labels.push("disable".into());
                continue;
            }
            _ => {}
        }
        let (k, v) = if opt.contains('=') {
            opt.split_once('=')
        } else {
            opt.split_once(':')
        }
        .ok_or_else(bad)?;
        match k {
            "label" => out.labels.push(v.to_string()),
            "apparmor" => out.apparmor = Some(v.to_string()),
            "seccomp" => {
                out.seccomp = match v {
                    "unconfined" => SeccompChoice::Unconfined,
                    "" | "builtin" => SeccompChoice::Default,
                    p => SeccompChoice::Profile(p.to_string()),
                }
            }
            "no-new-privileges" => out.no_new_privileges = parse_bool(v).ok_or_else(bad)?,
            "writable-cgroups" => out.writable_cgroups = Some(parse_bool(v).ok_or_else(bad)?),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<SecurityOpts, SpecError> {
        parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let o = p(&[
            "no-new-privileges",
            "seccomp=unconfined",
            "apparmor=my",
            "label=type:x",
        ])
        .unwrap();
        assert!(o.no_new_privileges);
        assert_eq!(o.seccomp, SeccompChoice::Unconfined);
        assert_eq!(o.apparmor.as_deref(), Some("my"));
        assert_eq!(o.labels, vec!["type:x"]);
        let o = p(&[
            "no-new-privileges:true",
            "seccomp=/p.json",
            "systempaths=unconfined",
            "writable-cgroups=false",
        ])
        .unwrap();
        assert!(o.no_new_privileges && o.systempaths_unconfined);
        assert_eq!(o.seccomp, SeccompChoice::Profile("/p.json".into()));
        assert_eq!(o.writable_cgroups, Some(false));
        assert!(!p(&["no-new-privileges=false"]).unwrap().no_new_privileges);
        assert_eq!(p(&[]).unwrap(), SecurityOpts::default());
    }

    #[test]
    fn bad_options() {
        for bad in ["nonsense", "color=red", "no-new-privileges=maybe"] {
            let e = p(&[bad]).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
