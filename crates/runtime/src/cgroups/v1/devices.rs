//! v1 devices controller: deny everything, then replay the spec's list in order.

use std::path::Path;

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;

/// The access string of a rule ("rwm" when unset), validated.
pub(crate) fn access(rule: &LinuxDeviceCgroup) -> Result<String, CgroupError> {
    let a = rule.access().clone().unwrap_or_default();
    if a.is_empty() {
        return Ok("rwm".to_string());
    }
    if a.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
        Ok(a)
    } else {
        Err(CgroupError::InvalidValue {
            resource: "devices[].access",
            reason: format!("{a:?} may only contain r, w and m"),
        })
    }
}

fn num(n: Option<i64>) -> String {
    match n {
        Some(n) if n >= 0 => n.to_string(),
        _ => "*".to_string(),
    }
}

/// The ordered writes: ("devices.deny", "a") then one line per rule.
pub(crate) fn plan(
    rules: &[LinuxDeviceCgroup],
) -> Result<Vec<(&'static str, String)>, CgroupError> {
    let mut out = vec![("devices.deny", "a".to_string())];
    for r in rules {
        let typ = match r.typ().unwrap_or(LinuxDeviceType::A) {
            LinuxDeviceType::U => LinuxDeviceType::C,
            // FIFOs are not devices: the kernel rejects "p" rules (EINVAL), and opening a
            // FIFO needs no devices-cgroup permission (as in v2/devicefilter.rs).
            LinuxDeviceType::P => continue,
            t => t,
        };
        let file = if r.allow() {
            "devices.allow"
        } else {
            "devices.deny"
        };
        out.push((
            file,
            format!(
                "{} {}:{} {}",
                typ.as_str(),
                num(r.major()),
                num(r.minor()),
                access(r)?
            ),
        ));
    }
    Ok(out)
}

pub(crate) fn apply(dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<(), CgroupError> {
    for (file, line) in plan(rules)? {
        fs::write_hint(
            dir,
            file,
            &line,
            " (EPERM: a v1 devices cgroup cannot allow more than its parent)",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::LinuxDeviceCgroupBuilder;

    #[test]
    fn fifo_rules_are_skipped() {
        let rules = vec![LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .typ(LinuxDeviceType::P)
            .major(8)
            .minor(666)
            .access("rwm")
            .build()
            .unwrap()];
        assert_eq!(
            plan(&rules).unwrap(),
            vec![("devices.deny", "a".to_string())]
        );
    }

    #[test]
    fn deny_all_then_rules_in_order() {
        let rules = vec![
            LinuxDeviceCgroupBuilder::default()
                .allow(false)
                .access("rwm")
                .build()
                .unwrap(),
            LinuxDeviceCgroupBuilder::default()
                .allow(true)
                .typ(LinuxDeviceType::C)
                .major(1)
                .minor(3)
                .access("rw")
                .build()
                .unwrap(),
            LinuxDeviceCgroupBuilder::default()
                .allow(true)
                .typ(LinuxDeviceType::B)
                .major(8)
                .build()
                .unwrap(),
        ];
        assert_eq!(
            plan(&rules).unwrap(),
            vec![
                ("devices.deny", "a".to_string()),
                ("devices.deny", "a *:* rwm".to_string()),
                ("devices.allow", "c 1:3 rw".to_string()),
                ("devices.allow", "b 8:* rwm".to_string()),
            ]
        );
        let bad = vec![LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .access("x")
            .build()
            .unwrap()];
        assert!(plan(&bad).is_err());
    }
}
