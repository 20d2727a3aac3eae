//! Mount options of config.json → mount(2) flags, propagation and filesystem data.

use nix::mount::MsFlags;

/// A spec mount's options, split the way mount(2) needs them.
#[derive(Debug, PartialEq, Eq)]
pub struct MountOptions {
    pub flags: MsFlags,
    /// Flags the options cleared (`rw`, `suid`, …): they must not be kept from the
    /// existing mount when remounting.
    pub cleared: MsFlags,
    /// MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (with MS_REC), applied separately.
    pub propagation: Vec<MsFlags>,
    /// Filesystem-specific options (`mode=755`, `size=64m`, …), comma-joined.
    pub data: String,
}

impl MountOptions {
    pub fn parse(options: &[String]) -> MountOptions {
        let mut o = MountOptions {
            flags: MsFlags::empty(),
            cleared: MsFlags::empty(),
            propagation: Vec::new(),
            data: String::new(),
        };
        let mut data = Vec::new();
        for opt in options {
            let (clear, flag) = match opt.as_str() {
                "defaults" => (false, MsFlags::empty()),
                "ro" => (false, MsFlags::MS_RDONLY),
                "rw" => (true, MsFlags::MS_RDONLY),
                "suid" => (true, MsFlags::MS_NOSUID),
                "nosuid" => (false, MsFlags::MS_NOSUID),
                "dev" => (true, MsFlags::MS_NODEV),
                "nodev" => (false, MsFlags::MS_NODEV),
                "exec" => (true, MsFlags::MS_NOEXEC),
                "noexec" => (false, MsFlags::MS_NOEXEC),
                "sync" => (false, MsFlags::MS_SYNCHRONOUS),
                "async" => (true, MsFlags::MS_SYNCHRONOUS),
                "dirsync" => (false, MsFlags::MS_DIRSYNC),
                "remount" => (false, MsFlags::MS_REMOUNT),
                "mand" => (false, MsFlags::MS_MANDLOCK),
                "nomand" => (true, MsFlags::MS_MANDLOCK),
                "atime" => (true, MsFlags::MS_NOATIME),
                "noatime" => (false, MsFlags::MS_NOATIME),
                "diratime" => (true, MsFlags::MS_NODIRATIME),
                "nodiratime" => (false, MsFlags::MS_NODIRATIME),
                "bind" => (false, MsFlags::MS_BIND),
                "rbind" => (false, MsFlags::MS_BIND | MsFlags::MS_REC),
                "relatime" => (false, MsFlags::MS_RELATIME),
                "norelatime" => (true, MsFlags::MS_RELATIME),
                "strictatime" => (false, MsFlags::MS_STRICTATIME),
                "nostrictatime" => (true, MsFlags::MS_STRICTATIME),
                "lazytime" => (false, MsFlags::MS_LAZYTIME),
                "nolazytime" => (true, MsFlags::MS_LAZYTIME),
                "silent" => (false, MsFlags::MS_SILENT),
                "loud" => (true, MsFlags::MS_SILENT),
                "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave"
                | "unbindable" | "runbindable" => {
                    let (rec, base) = match opt.strip_prefix('r') {
                        Some(b) => (true, b),
                        None => (false, opt.as_str()),
                    };
                    let kind = match base {
                        "private" => MsFlags::MS_PRIVATE,
                        "shared" => MsFlags::MS_SHARED,
                        "slave" => MsFlags::MS_SLAVE,
                        _ => MsFlags::MS_UNBINDABLE,
                    };
                    o.propagation
                        .push(if rec { kind | MsFlags::MS_REC } else { kind });
                    continue;
                }
                // Accepted and meaningless for the kernel mount (runc does the same).
                "tmpcopyup" | "idmap" | "ridmap" => continue,
                _ => {
                    data.push(opt.as_str());
                    continue;
                }
            };
            if clear {
                o.flags &= !flag;
                o.cleared |= flag;
            } else {
                o.flags |= flag;
                o.cleared &= !flag;
            }
        }
        o.data = data.join(",");
        o
    }

    pub fn is_bind(&self) -> bool {
        self.flags.contains(MsFlags::MS_BIND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_data_and_propagation() {
        let o = MountOptions::parse(&s(&[
            "nosuid",
            "noexec",
            "mode=755",
            "size=65536k",
            "rbind",
            "rslave",
            "ro",
        ]));
        assert_eq!(
            o.flags,
            MsFlags::MS_NOSUID
                | MsFlags::MS_NOEXEC
                | MsFlags::MS_BIND
                | MsFlags::MS_REC
                | MsFlags::MS_RDONLY
        );
        assert_eq!(o.data, "mode=755,size=65536k");
        assert_eq!(o.propagation, vec![MsFlags::MS_SLAVE | MsFlags::MS_REC]);
        let o = MountOptions::parse(&s(&["ro", "rw", "shared", "rprivate"]));
        assert!(!o.flags.contains(MsFlags::MS_RDONLY));
        assert!(o.cleared.contains(MsFlags::MS_RDONLY));
        assert_eq!(
            o.propagation,
            vec![MsFlags::MS_SHARED, MsFlags::MS_PRIVATE | MsFlags::MS_REC]
        );
    }
}
