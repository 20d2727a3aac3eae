//! berth's own extension: the engine's container snapshot (an overlay of image layers and
//! a writable layer) mounted onto `root.path` *inside* the container's mount namespace,
//! from the annotation [`ANNOTATION`]. Mounting it there rather than on the host means a
//! crashed engine or monitor can never leak a host mount: the mount dies with the
//! namespace. Without the annotation (every other OCI client) nothing changes.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use serde::Deserialize;

use super::options::MountOptions;
use crate::error::{Result, RuntimeError, SysContext};
use crate::sys::mount::Mounter;

/// The annotation naming the snapshot mount, as JSON.
pub const ANNOTATION: &str = "dev.berth.rootfs.mount";

/// One mount, as `storage::snapshot::Mount` describes it.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct SnapshotMount {
    #[serde(rename = "type")]
    pub fs_type: String,
    pub source: PathBuf,
    #[serde(default)]
    pub options: Vec<String>,
    /// Relative paths in `options` are relative to this directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
}

/// The snapshot mount the spec asks for, if any.
pub fn from_annotations(
    annotations: Option<&std::collections::HashMap<String, String>>,
) -> Result<Option<SnapshotMount>> {
    let Some(json) = annotations.and_then(|a| a.get(ANNOTATION)) else {
        return Ok(None);
    };
    serde_json::from_str(json)
        .map(Some)
        .map_err(|e| RuntimeError::InvalidConfig {
            path: "config.json".into(),
            msg: format!("annotation {ANNOTATION}: {e}"),
        })
}

/// Mounts `m` onto `rootfs`. Called in the container's mount namespace, before the rootfs
/// is bound onto itself.
pub fn mount(sys: &dyn Mounter, m: &SnapshotMount, rootfs: &Path) -> Result<()> {
    let opts = MountOptions::parse(&m.options);
    let flags = opts.flags & !MsFlags::MS_BIND;
    let data = (!opts.data.is_empty()).then_some(opts.data.as_str());
    let fs_type = m.fs_type.as_str();
    let source = m.source.as_path();
    let run = || {
        if fs_type == "bind" {
            sys.mount(
                Some(source),
                rootfs,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None,
            )
        } else {
            sys.mount(Some(source), rootfs, Some(fs_type), flags, data)
        }
    };
    let res = match &m.cwd {
        // The overlay options name layers relative to `cwd` (short links keep the option
        // string within a page): mount from there, then go back.
        Some(cwd) => {
            let back = std::env::current_dir().ctx(|| "read the current directory")?;
            std::env::set_current_dir(cwd)
                .ctx(|| format!("enter the snapshot directory {}", cwd.display()))?;
            let r = run();
            std::env::set_current_dir(&back).ctx(|| format!("return to {}", back.display()))?;
            r
        }
        None => run(),
    };
    res.ctx(|| {
        format!(
            "mount the container snapshot ({fs_type}) onto {}",
            rootfs.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::mount::Recorder;

    #[test]
    fn annotation_parses_and_mounts_overlay_onto_the_rootfs() {
        let mut a = std::collections::HashMap::new();
        a.insert(
            ANNOTATION.to_string(),
            r#"{"type":"overlay","source":"overlay","options":["lowerdir=l/A:l/B","upperdir=/u","workdir=/w"],"cwd":"/"}"#
                .to_string(),
        );
        let m = from_annotations(Some(&a)).unwrap().unwrap();
        assert_eq!(m.fs_type, "overlay");
        let rec = Recorder::default();
        mount(&rec, &m, Path::new("/b/rootfs")).unwrap();
        let calls = rec.calls.borrow();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].fstype.as_deref(), Some("overlay"));
        assert_eq!(calls[0].target, Path::new("/b/rootfs"));
        assert_eq!(
            calls[0].data.as_deref(),
            Some("lowerdir=l/A:l/B,upperdir=/u,workdir=/w")
        );
        assert!(from_annotations(None).unwrap().is_none());
        a.insert(ANNOTATION.to_string(), "{".into());
        assert!(from_annotations(Some(&a)).is_err());
    }
}
