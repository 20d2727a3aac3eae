//! Capabilities (`process.capabilities`), set with the `caps` crate.
//!
//! Order in init (as runc's finalizeNamespace): [`drop_bounding`] →
//! `set_keep_caps(true)` → setgroups/setgid/setuid → `set_keep_caps(false)` → [`apply`].
//! Keepcaps keeps the permitted set across the switch to a non-root uid; `apply` then
//! sets effective, permitted, inheritable and ambient explicitly.

use caps::{CapSet, Capability as SysCap, CapsHashSet};
use oci_spec::runtime::{Capabilities, Capability, LinuxCapabilities};
use std::str::FromStr;

pub use super::error::CapsError;

/// Converts an oci-spec capability (`AUDIT_WRITE`) to the `caps` crate's (`CAP_AUDIT_WRITE`).
fn to_sys(c: &Capability) -> Result<SysCap, CapsError> {
    let name = format!("CAP_{c}");
    SysCap::from_str(&name).map_err(|source| CapsError::Unknown { name, source })
}

fn to_sys_set(set: Option<&Capabilities>) -> Result<CapsHashSet, CapsError> {
    set.into_iter().flatten().map(to_sys).collect()
}

fn list(set: &CapsHashSet) -> String {
    let mut v: Vec<_> = set.iter().collect();
    v.sort_by_key(|c| c.index());
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Drops every capability not in `c.bounding` from the bounding set (an absent bounding
/// list drops them all). Needs CAP_SETPCAP; call before setuid.
pub fn drop_bounding(c: &LinuxCapabilities) -> Result<(), CapsError> {
    let keep = to_sys_set(c.bounding().as_ref())?;
    let current = caps::read(None, CapSet::Bounding).map_err(|source| CapsError::Read {
        set: "bounding",
        source,
    })?;
    let mut drop: Vec<_> = current.difference(&keep).copied().collect();
    drop.sort_by_key(|c| c.index());
    for cap in drop {
        caps::drop(None, CapSet::Bounding, cap).map_err(|source| CapsError::DropBounding {
            cap: cap.to_string(),
            source,
        })?;
    }
    Ok(())
}

/// `PR_SET_KEEPCAPS`: keep the permitted set across setuid to a non-zero uid.
pub fn set_keep_caps(keep: bool) -> Result<(), CapsError> {
    nix::sys::prctl::set_keepcaps(keep).map_err(|source| CapsError::KeepCaps {
        value: keep,
        source,
    })
}

/// Sets inheritable, effective, permitted, then ambient to `c` (absent lists mean empty).
///
/// Order matters to the kernel: inheritable first (while the full permitted set still
/// allows it), then effective (must stay within the current permitted set), then permitted
/// (must contain the new effective set), then ambient. An ambient capability that is not
/// in both permitted and inheritable cannot be raised: it is skipped with a warning, as runc.
pub fn apply(c: &LinuxCapabilities) -> Result<(), CapsError> {
    let effective = to_sys_set(c.effective().as_ref())?;
    let permitted = to_sys_set(c.permitted().as_ref())?;
    let inheritable = to_sys_set(c.inheritable().as_ref())?;
    let ambient = to_sys_set(c.ambient().as_ref())?;

    let mut not_permitted: Vec<_> = effective.difference(&permitted).collect();
    not_permitted.sort_by_key(|c| c.index());
    if let Some(cap) = not_permitted.first() {
        return Err(CapsError::EffectiveNotPermitted {
            cap: cap.to_string(),
        });
    }

    for (set, name, value) in [
        (CapSet::Inheritable, "inheritable", &inheritable),
        (CapSet::Effective, "effective", &effective),
        (CapSet::Permitted, "permitted", &permitted),
    ] {
        caps::set(None, set, value).map_err(|source| CapsError::Set {
            set: name,
            caps: list(value),
            source,
        })?;
    }

    caps::clear(None, CapSet::Ambient).map_err(|source| CapsError::ClearAmbient { source })?;
    let mut ambient: Vec<_> = ambient.into_iter().collect();
    ambient.sort_by_key(|c| c.index());
    for cap in ambient {
        if !(permitted.contains(&cap) && inheritable.contains(&cap)) {
            tracing::warn!(capability = %cap, "ambient capability is not in both permitted and inheritable; not raised");
            continue;
        }
        caps::raise(None, CapSet::Ambient, cap).map_err(|source| CapsError::RaiseAmbient {
            cap: cap.to_string(),
            source,
        })?;
    }
    Ok(())
}

/// The CAP_* names this kernel has (`/proc/sys/kernel/cap_last_cap`, falling back to
/// probing the bounding set), in kernel order, for `berth-runtime features`.
pub fn known_capabilities() -> Vec<String> {
    let set = caps::runtime::procfs_all_supported(None)
        .unwrap_or_else(|_| caps::runtime::thread_all_supported());
    let mut v: Vec<_> = set.into_iter().collect();
    v.sort_by_key(|c| c.index());
    v.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::testutil::in_child;
    use oci_spec::runtime::LinuxCapabilitiesBuilder;

    fn status_field(name: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(name))?;
        u64::from_str_radix(line.split_whitespace().nth(1)?, 16).ok()
    }

    fn set(caps: &[Capability]) -> Capabilities {
        caps.iter().copied().collect()
    }

    #[test]
    fn only_chown_remains_after_drop_bounding_and_apply() {
        let chown = set(&[Capability::Chown]);
        let c = LinuxCapabilitiesBuilder::default()
            .bounding(chown.clone())
            .effective(chown.clone())
            .permitted(chown.clone())
            .inheritable(Capabilities::new())
            // Not in inheritable: must be skipped with a warning, not fail.
            .ambient(chown)
            .build()
            .unwrap();
        let code = in_child(|| {
            if drop_bounding(&c).is_err() {
                return 10;
            }
            if apply(&c).is_err() {
                return 11;
            }
            let fields = ["CapEff:", "CapPrm:", "CapBnd:", "CapInh:", "CapAmb:"].map(status_field);
            match fields {
                [Some(1), Some(1), Some(1), Some(0), Some(0)] => 0,
                [Some(eff), ..] if eff != 1 => 12,
                _ => 13,
            }
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn effective_outside_permitted_is_an_error_naming_the_capability() {
        let c = LinuxCapabilitiesBuilder::default()
            .effective(set(&[Capability::NetAdmin]))
            .permitted(set(&[Capability::Chown]))
            .build()
            .unwrap();
        // Validation happens before any capset, so this is safe in the test process.
        let e = apply(&c).unwrap_err();
        assert!(e.to_string().contains("CAP_NET_ADMIN"), "{e}");
    }

    #[test]
    fn known_capabilities_come_from_the_kernel() {
        let known = known_capabilities();
        assert_eq!(known.first().map(String::as_str), Some("CAP_CHOWN"));
        assert!(known.contains(&"CAP_SYS_ADMIN".to_owned()));
    }
}
