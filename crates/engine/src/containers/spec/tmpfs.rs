//! Tmpfs options: Docker's `--mount type=tmpfs` data and moby's `MergeTmpfsOptions`
//! (later flags and keys win; only size, mode, uid, gid, nr_inodes, nr_blocks, mpol besides
//! mount flags).

use std::collections::BTreeSet;

use super::mounts::PROPAGATION;
use super::SpecError;

/// Docker's `--mount type=tmpfs` data: `ro`, `mode=<octal>`, `size=<n>[kmg]`.
pub fn tmpfs_data(read_only: bool, mode: u32, size: i64) -> Vec<String> {
    let mut out = Vec::new();
    if read_only {
        out.push("ro".to_string());
    }
    if mode != 0 {
        out.push(format!("mode={mode:o}"));
    }
    if size != 0 {
        let (mut n, mut suffix) = (size, "");
        for (s, div) in [("g", 1i64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
            if size % div == 0 {
                n = size / div;
                suffix = s;
                break;
            }
        }
        out.push(format!("size={n}{suffix}"));
    }
    out
}

/// Tmpfs data keys Docker accepts besides mount flags.
const TMPFS_DATA: [&str; 7] = [
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];
/// Mount flags (moby `mount.flags`), including propagation.
const MOUNT_FLAGS: [&str; 32] = [
    "ro",
    "rw",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "exec",
    "noexec",
    "sync",
    "async",
    "dirsync",
    "remount",
    "mand",
    "nomand",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "bind",
    "rbind",
    "unbindable",
    "runbindable",
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
];

/// The flag a mount option sets or clears, so `exec` after `noexec` replaces it.
fn flag_key(o: &str) -> Option<&str> {
    if PROPAGATION.contains(&o) || ["bind", "rbind", "unbindable", "runbindable"].contains(&o) {
        return Some("propagation");
    }
    match o {
        "ro" | "rw" => Some("ro"),
        "suid" | "nosuid" => Some("suid"),
        "dev" | "nodev" => Some("dev"),
        "exec" | "noexec" => Some("exec"),
        "sync" | "async" => Some("sync"),
        "mand" | "nomand" => Some("mand"),
        "atime" | "noatime" => Some("atime"),
        "diratime" | "nodiratime" => Some("diratime"),
        "relatime" | "norelatime" => Some("relatime"),
        "strictatime" | "nostrictatime" => Some("strictatime"),
        _ => MOUNT_FLAGS.contains(&o).then_some(o),
    }
}

/// moby's `MergeTmpfsOptions`: later options win over earlier ones of the same flag or
/// key, order otherwise kept; unknown keys are errors.
pub fn merge_tmpfs_options(
    destination: &str,
    options: &[String],
) -> Result<Vec<String>, SpecError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for o in options.iter().rev() {
        if o.is_empty() || o == "defaults" {
            continue;
        }
        let key = match flag_key(o) {
            Some(k) => k.to_string(),
            None => {
                let (k, _) = o.split_once('=').unwrap_or((o, ""));
                if !o.contains('=') || !TMPFS_DATA.contains(&k) {
                    return Err(SpecError::InvalidTmpfsOption {
                        destination: destination.to_string(),
                        option: k.to_string(),
                    });
                }
                format!("data:{k}")
            }
        };
        if seen.insert(key) {
            out.push(o.clone());
        }
    }
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_later_wins() {
        let merged = merge_tmpfs_options(
            "/run",
            &[
                "noexec", "nosuid", "nodev", "rprivate", "size=1m", "exec", "size=64m",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(
            merged,
            vec!["nosuid", "nodev", "rprivate", "exec", "size=64m"]
        );
        assert!(merge_tmpfs_options("/x", &["color=red".to_string()]).is_err());
        assert!(merge_tmpfs_options("/x", &["bogus".to_string()]).is_err());
    }

    #[test]
    fn mount_data() {
        assert_eq!(
            tmpfs_data(true, 0o1777, 3 << 30),
            vec!["ro", "mode=1777", "size=3g"]
        );
        assert_eq!(tmpfs_data(false, 0, 1000), vec!["size=1000"]);
        assert!(tmpfs_data(false, 0, 0).is_empty());
    }
}
