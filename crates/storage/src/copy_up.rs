//! Volume copy-up: the image's content at a volume's destination copied into a new, empty
//! volume, as Docker does (`-v data:/var/lib/app` starts with what the image has there,
//! unless `nocopy`). Read from the union of the image's layers (whiteouts and opaque
//! directories respected), never following a symlink; the volume root takes the image
//! directory's owner and mode.

use std::fs;
use std::path::Path;

use crate::diff::Lowers;
use crate::error::{io_err, Result};
use crate::snapshot::copy::{copy_meta, copy_node};

/// Copies what the union of `layers` (lowest first) shows at `rel` (a path inside the
/// image, relative: `var/lib/app`) into the empty directory `dst`. Returns whether the
/// image had a directory there (nothing is copied otherwise).
pub fn copy_up(layers: &[std::path::PathBuf], rel: &Path, dst: &Path) -> Result<bool> {
    let lowers = Lowers::new(layers);
    let Some((src, md)) = lowers.lookup(rel)? else {
        return Ok(false);
    };
    if !md.is_dir() {
        return Ok(false);
    }
    copy_children(&lowers, rel, dst)?;
    copy_meta(&src, dst, &md)?;
    Ok(true)
}

fn copy_children(lowers: &Lowers<'_>, rel: &Path, dst: &Path) -> Result<()> {
    for name in lowers.children(rel)? {
        let child = rel.join(&name);
        let Some((src, md)) = lowers.lookup(&child)? else {
            continue;
        };
        let d = dst.join(&name);
        if md.is_dir() {
            fs::create_dir(&d).map_err(io_err("create directory", &d))?;
            copy_children(lowers, &child, &d)?;
        } else {
            copy_node(&src, &d, &md)?;
        }
        copy_meta(&src, &d, &md)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use super::*;
    use crate::whiteout::OVERLAY_OPAQUE_XATTR;

    #[test]
    fn copies_the_union_with_deletions_and_metadata() {
        let t = tempfile::tempdir().unwrap();
        let (l1, l2, dst) = (t.path().join("l1"), t.path().join("l2"), t.path().join("v"));
        for d in [&l1, &l2, &dst] {
            fs::create_dir_all(d).unwrap();
        }
        fs::create_dir_all(l1.join("app/sub")).unwrap();
        fs::write(l1.join("app/kept"), b"1").unwrap();
        fs::write(l1.join("app/gone"), b"x").unwrap();
        fs::write(l1.join("app/sub/deep"), b"d").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", l1.join("app/link")).unwrap();
        fs::create_dir_all(l2.join("app")).unwrap();
        fs::write(l2.join("app/kept"), b"2").unwrap();
        // A whiteout (0:0 char device) deletes `gone` in the upper layer.
        rustix::fs::mknodat(
            rustix::fs::CWD,
            l2.join("app/gone"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::empty(),
            0,
        )
        .unwrap();
        fs::set_permissions(l2.join("app"), fs::Permissions::from_mode(0o750)).unwrap();
        std::os::unix::fs::chown(l2.join("app"), Some(1000), Some(1000)).unwrap();

        let layers = vec![l1.clone(), l2.clone()];
        assert!(copy_up(&layers, Path::new("app"), &dst).unwrap());
        assert_eq!(fs::read(dst.join("kept")).unwrap(), b"2");
        assert!(!dst.join("gone").exists());
        assert_eq!(fs::read(dst.join("sub/deep")).unwrap(), b"d");
        assert_eq!(
            fs::read_link(dst.join("link")).unwrap(),
            Path::new("/etc/passwd")
        );
        let md = fs::metadata(&dst).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid()), (0o750, 1000));

        // Absent or not a directory: nothing copied.
        let empty = t.path().join("e");
        fs::create_dir(&empty).unwrap();
        assert!(!copy_up(&layers, Path::new("nope"), &empty).unwrap());
        assert!(!copy_up(&layers, Path::new("app/kept"), &empty).unwrap());
        assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);
    }

    #[test]
    fn an_opaque_directory_hides_the_layers_below() {
        let t = tempfile::tempdir().unwrap();
        let (l1, l2, dst) = (t.path().join("l1"), t.path().join("l2"), t.path().join("v"));
        fs::create_dir_all(l1.join("app")).unwrap();
        fs::write(l1.join("app/old"), b"o").unwrap();
        fs::create_dir_all(l2.join("app")).unwrap();
        fs::write(l2.join("app/new"), b"n").unwrap();
        crate::fsutil::set_xattr(&l2.join("app"), OVERLAY_OPAQUE_XATTR.as_ref(), b"y").unwrap();
        fs::create_dir(&dst).unwrap();
        assert!(copy_up(&[l1, l2], Path::new("app"), &dst).unwrap());
        assert!(dst.join("new").exists());
        assert!(!dst.join("old").exists());
    }
}
