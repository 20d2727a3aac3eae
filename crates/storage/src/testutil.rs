//! Helpers for tests: hand-made tars (including hostile raw names) and tree listings.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use tar::{EntryType, Header};

/// A tar under construction with raw (unchecked) names.
pub(crate) struct RawTar {
    b: tar::Builder<Vec<u8>>,
}

impl RawTar {
    pub(crate) fn new() -> Self {
        RawTar {
            b: tar::Builder::new(Vec::new()),
        }
    }

    fn header(name: &str, kind: EntryType, size: u64, mode: u32) -> Header {
        let mut h = Header::new_old();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        let bytes = name.as_bytes();
        assert!(bytes.len() < 100, "raw names must fit the old header");
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h
    }

    fn push(&mut self, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    pub(crate) fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let h = Self::header(name, EntryType::Regular, data.len() as u64, 0o644);
        self.push(h, data)
    }

    pub(crate) fn file_owned(
        &mut self,
        name: &str,
        data: &[u8],
        mode: u32,
        uid: u64,
        gid: u64,
    ) -> &mut Self {
        let mut h = Self::header(name, EntryType::Regular, data.len() as u64, mode);
        h.set_uid(uid);
        h.set_gid(gid);
        self.push(h, data)
    }

    pub(crate) fn dir(&mut self, name: &str, mode: u32) -> &mut Self {
        let h = Self::header(name, EntryType::Directory, 0, mode);
        self.push(h, &[])
    }

    fn link_kind(&mut self, name: &str, kind: EntryType, target: &str) -> &mut Self {
        let mut h = Self::header(name, kind, 0, 0o777);
        let t = target.as_bytes();
        assert!(t.len() < 100);
        h.as_old_mut().linkname[..t.len()].copy_from_slice(t);
        self.push(h, &[])
    }

    pub(crate) fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.link_kind(name, EntryType::Symlink, target)
    }

    pub(crate) fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.link_kind(name, EntryType::Link, target)
    }

    pub(crate) fn device(
        &mut self,
        name: &str,
        kind: EntryType,
        major: u32,
        minor: u32,
    ) -> &mut Self {
        let mut h = Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o640);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        self.push(h, &[])
    }

    /// A regular file carrying PAX xattrs.
    pub(crate) fn file_with_xattrs(
        &mut self,
        name: &str,
        data: &[u8],
        xattrs: &[(&str, &[u8])],
    ) -> &mut Self {
        let pax: Vec<(String, &[u8])> = xattrs
            .iter()
            .map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v))
            .collect();
        self.b
            .append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), *v)))
            .unwrap();
        self.file(name, data)
    }

    /// A regular file whose real name comes from a PAX `path` record (and a benign header
    /// name), the way long or hostile names travel in PAX archives.
    pub(crate) fn file_pax_path(&mut self, pax_path: &str, data: &[u8]) -> &mut Self {
        self.b
            .append_pax_extensions([("path", pax_path.as_bytes())])
            .unwrap();
        self.file("benign", data)
    }

    /// A hard link whose target comes from a PAX `linkpath` record.
    pub(crate) fn hardlink_pax(&mut self, name: &str, pax_target: &str) -> &mut Self {
        self.b
            .append_pax_extensions([("linkpath", pax_target.as_bytes())])
            .unwrap();
        self.hardlink(name, "benign")
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let b = std::mem::replace(&mut self.b, tar::Builder::new(Vec::new()));
        b.into_inner().unwrap()
    }
}

/// A description of one filesystem object, for comparing trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir { mode: u32 },
    File { mode: u32, data: Vec<u8> },
    Symlink(String),
    Char(u64),
    Other,
}

/// Every object under `root` (not following symlinks), keyed by relative path.
pub(crate) fn tree(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
    for ent in std::fs::read_dir(dir).unwrap() {
        let ent = ent.unwrap();
        let p = ent.path();
        let md = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let ft = md.file_type();
        let node = if ft.is_dir() {
            walk(root, &p, out);
            Node::Dir {
                mode: md.mode() & 0o7777,
            }
        } else if ft.is_file() {
            Node::File {
                mode: md.mode() & 0o7777,
                data: std::fs::read(&p).unwrap(),
            }
        } else if ft.is_symlink() {
            Node::Symlink(
                std::fs::read_link(&p)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            )
        } else if ft.is_char_device() {
            Node::Char(md.rdev())
        } else {
            Node::Other
        };
        out.insert(rel, node);
    }
}
