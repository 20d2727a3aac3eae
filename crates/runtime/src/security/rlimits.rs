//! `process.rlimits` for the current process (the container's init, before setuid).
//!
//! Without CAP_SYS_RESOURCE the kernel refuses to raise a hard limit. Rather than fail the
//! container (Docker's default `nofile` often exceeds an unprivileged host's hard limit),
//! a soft or hard limit above the current hard limit is clamped to it, with a warning.

use nix::sys::resource::{getrlimit, setrlimit, Resource};
use oci_spec::runtime::{PosixRlimit, PosixRlimitType};
use std::str::FromStr;

pub use super::error::RlimitError;

/// Parses an rlimit type name as written in config.json (`RLIMIT_NOFILE`).
pub fn parse_type(name: &str) -> Result<PosixRlimitType, RlimitError> {
    PosixRlimitType::from_str(name).map_err(|_| RlimitError::UnknownType {
        name: name.to_owned(),
    })
}

fn resource(t: PosixRlimitType) -> Resource {
    match t {
        PosixRlimitType::RlimitCpu => Resource::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => Resource::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => Resource::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => Resource::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => Resource::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => Resource::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => Resource::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => Resource::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => Resource::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => Resource::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => Resource::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => Resource::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => Resource::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => Resource::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => Resource::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => Resource::RLIMIT_RTTIME,
    }
}

/// What to ask the kernel for: `(soft, hard, warnings)`. With `clamp`, neither limit may
/// exceed `cur_hard`; in every case soft is lowered to hard if above it.
fn plan(typ: &str, soft: u64, hard: u64, cur_hard: u64, clamp: bool) -> (u64, u64, Vec<String>) {
    let (mut soft, mut hard, mut warnings) = (soft, hard, Vec::new());
    if clamp && hard > cur_hard {
        warnings.push(format!(
            "{typ}: hard limit {hard} is above the current hard limit {cur_hard} and the runtime lacks CAP_SYS_RESOURCE; clamped to {cur_hard}"
        ));
        hard = cur_hard;
    }
    if clamp && soft > cur_hard {
        warnings.push(format!(
            "{typ}: soft limit {soft} is above the current hard limit {cur_hard} and the runtime lacks CAP_SYS_RESOURCE; clamped to {cur_hard}"
        ));
        soft = cur_hard;
    }
    if soft > hard {
        warnings.push(format!(
            "{typ}: soft limit {soft} is above hard limit {hard}; lowered to {hard}"
        ));
        soft = hard;
    }
    (soft, hard, warnings)
}

/// Applies `limits` to the current process; returns the warnings for limits that had to be
/// clamped (also logged with `tracing::warn!`). Call before dropping capabilities.
pub fn apply(limits: &[PosixRlimit]) -> Result<Vec<String>, RlimitError> {
    let privileged = caps::has_cap(
        None,
        caps::CapSet::Effective,
        caps::Capability::CAP_SYS_RESOURCE,
    )
    .unwrap_or(false);
    let mut all_warnings = Vec::new();
    for l in limits {
        let typ = l.typ().to_string();
        let res = resource(l.typ());
        let (_, cur_hard) = getrlimit(res).map_err(|source| RlimitError::Get {
            typ: typ.clone(),
            source,
        })?;
        let (soft, hard, mut warnings) = plan(&typ, l.soft(), l.hard(), cur_hard, !privileged);
        match setrlimit(res, soft, hard) {
            Ok(()) => {}
            // Even with CAP_SYS_RESOURCE the kernel may refuse (e.g. nofile above fs.nr_open).
            Err(nix::Error::EPERM) if privileged && (soft > cur_hard || hard > cur_hard) => {
                let (soft, hard, w) = plan(&typ, l.soft(), l.hard(), cur_hard, true);
                warnings = w;
                setrlimit(res, soft, hard).map_err(|source| RlimitError::Set {
                    typ: typ.clone(),
                    soft,
                    hard,
                    source,
                })?;
            }
            Err(source) => {
                return Err(RlimitError::Set {
                    typ,
                    soft,
                    hard,
                    source,
                })
            }
        }
        for w in &warnings {
            tracing::warn!("{w}");
        }
        all_warnings.extend(warnings);
    }
    Ok(all_warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::testutil::in_child;
    use oci_spec::runtime::PosixRlimitBuilder;

    #[test]
    fn plan_clamps_and_orders() {
        assert_eq!(plan("RLIMIT_NOFILE", 10, 20, 100, true), (10, 20, vec![]));
        let (s, h, w) = plan("RLIMIT_NOFILE", 200, 300, 100, true);
        assert_eq!((s, h, w.len()), (100, 100, 2));
        assert!(w[0].contains("RLIMIT_NOFILE"), "{w:?}");
        let (s, h, w) = plan("RLIMIT_CORE", 50, 20, 100, false);
        assert_eq!((s, h, w.len()), (20, 20, 1));
        assert_eq!(plan("RLIMIT_AS", 200, 300, 100, false), (200, 300, vec![]));
    }

    #[test]
    fn unknown_type_is_named() {
        assert_eq!(
            parse_type("RLIMIT_NOFILE").unwrap(),
            PosixRlimitType::RlimitNofile
        );
        let e = parse_type("RLIMIT_BANANAS").unwrap_err();
        assert!(e.to_string().contains("RLIMIT_BANANAS"), "{e}");
    }

    #[test]
    fn nofile_above_hard_is_clamped_in_child() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let has_sys_resource = caps::has_cap(
            None,
            caps::CapSet::Effective,
            caps::Capability::CAP_SYS_RESOURCE,
        )
        .unwrap();
        if hard == libc::RLIM_INFINITY || has_sys_resource {
            eprintln!("skipped: needs a finite nofile hard limit and no CAP_SYS_RESOURCE");
            return;
        }
        let want = hard + 1000;
        let limit = PosixRlimitBuilder::default()
            .typ(PosixRlimitType::RlimitNofile)
            .soft(want)
            .hard(want)
            .build()
            .unwrap();
        let code = in_child(|| {
            let Ok(warnings) = apply(std::slice::from_ref(&limit)) else {
                return 10;
            };
            if warnings.len() != 2 || !warnings.iter().all(|w| w.contains("RLIMIT_NOFILE")) {
                return 11;
            }
            match getrlimit(Resource::RLIMIT_NOFILE) {
                Ok((s, h)) if s == hard && h == hard => 0,
                _ => 12,
            }
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn lowering_works_in_child() {
        let limit = PosixRlimitBuilder::default()
            .typ(PosixRlimitType::RlimitCore)
            .soft(0u64)
            .hard(0u64)
            .build()
            .unwrap();
        let code = in_child(|| match apply(std::slice::from_ref(&limit)) {
            Ok(w) if w.is_empty() => match getrlimit(Resource::RLIMIT_CORE) {
                Ok((0, 0)) => 0,
                _ => 2,
            },
            _ => 1,
        });
        assert_eq!(code, 0);
    }
}
