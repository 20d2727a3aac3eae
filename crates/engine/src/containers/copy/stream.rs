//! The stream of objects a copy moves: [`Entry`] and the [`Sink`]s that take them (a tar
//! writer for `cp … -`, the extractor of `extract.rs`), and a tar reader as a source.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

/// What kind of object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File,
    Symlink(PathBuf),
    /// A hard link to an earlier entry (its archive path).
    Link(PathBuf),
    Char,
    Block,
    Fifo,
}

/// One object, named by its path in the archive (`name`, `name/sub`).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub path: PathBuf,
    pub kind: Kind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    pub size: u64,
    pub major: u32,
    pub minor: u32,
}

/// Takes entries; `data` is the content of a regular file (`size` bytes).
pub(crate) trait Sink {
    fn put(&mut self, e: &Entry, data: Option<&mut dyn Read>) -> io::Result<()>;
}

/// Writes entries as a tar (Docker's `cp CONTAINER:PATH -`).
pub(crate) struct TarSink<W: Write> {
    b: tar::Builder<W>,
}

impl<W: Write> TarSink<W> {
    pub(crate) fn new(w: W) -> Self {
        let mut b = tar::Builder::new(w);
        b.follow_symlinks(false);
        TarSink { b }
    }
    pub(crate) fn finish(self) -> io::Result<W> {
        self.b.into_inner()
    }
}

impl<W: Write> Sink for TarSink<W> {
    fn put(&mut self, e: &Entry, data: Option<&mut dyn Read>) -> io::Result<()> {
        let mut h = Header::new_gnu();
        h.set_mode(e.mode & 0o7777);
        h.set_uid(e.uid);
        h.set_gid(e.gid);
        h.set_mtime(u64::try_from(e.mtime).unwrap_or(0));
        h.set_size(0);
        let kind = match &e.kind {
            Kind::Dir => EntryType::Directory,
            Kind::File => EntryType::Regular,
            Kind::Symlink(_) => EntryType::Symlink,
            Kind::Link(_) => EntryType::Link,
            Kind::Char => EntryType::Char,
            Kind::Block => EntryType::Block,
            Kind::Fifo => EntryType::Fifo,
        };
        h.set_entry_type(kind);
        match &e.kind {
            Kind::Symlink(t) | Kind::Link(t) => self.b.append_link(&mut h, &e.path, t),
            Kind::File => {
                h.set_size(e.size);
                let r: Box<dyn Read + '_> = match data {
                    Some(d) => Box::new(d.take(e.size)),
                    None => Box::new(io::empty()),
                };
                self.b.append_data(&mut h, &e.path, r)
            }
            Kind::Dir => {
                // Directories carry a trailing '/', as Docker's archives do.
                let mut p = e.path.as_os_str().to_os_string();
                if !p.as_encoded_bytes().ends_with(b"/") {
                    p.push("/");
                }
                self.b.append_data(&mut h, Path::new(&p), io::empty())
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                h.set_device_major(e.major)?;
                h.set_device_minor(e.minor)?;
                self.b.append_data(&mut h, &e.path, io::empty())
            }
        }
    }
}

/// Feeds every entry of the tar read from `r` into `sink` (Docker's `cp - CONTAINER:DIR`).
/// Returns the bytes of file content moved.
pub(crate) fn from_tar(r: impl Read, sink: &mut dyn Sink) -> io::Result<u64> {
    let mut a = tar::Archive::new(r);
    let mut moved = 0;
    for entry in a.entries()? {
        let mut entry = entry?;
        let h = entry.header().clone();
        let kind = match h.entry_type() {
            EntryType::Directory => Kind::Dir,
            EntryType::Regular | EntryType::Continuous => Kind::File,
            EntryType::Symlink | EntryType::Link => {
                let t = entry
                    .link_name()?
                    .ok_or_else(|| bad("link without a target"))?
                    .into_owned();
                if h.entry_type() == EntryType::Symlink {
                    Kind::Symlink(t)
                } else {
                    Kind::Link(t)
                }
            }
            EntryType::Char => Kind::Char,
            EntryType::Block => Kind::Block,
            EntryType::Fifo => Kind::Fifo,
            // PAX and GNU extension headers are consumed by the reader; anything else
            // (global headers, sparse files) is not copied.
            _ => continue,
        };
        let (major, minor) = if matches!(kind, Kind::Char | Kind::Block) {
            (
                h.device_major()?.unwrap_or(0),
                h.device_minor()?.unwrap_or(0),
            )
        } else {
            (0, 0)
        };
        let e = Entry {
            path: entry.path()?.into_owned(),
            kind,
            mode: h.mode()?,
            uid: h.uid().unwrap_or(0),
            gid: h.gid().unwrap_or(0),
            mtime: h
                .mtime()
                .ok()
                .and_then(|t| i64::try_from(t).ok())
                .unwrap_or(0),
            size: h.size()?,
            major,
            minor,
        };
        if e.kind == Kind::File {
            moved += e.size;
            sink.put(&e, Some(&mut entry))?;
        } else {
            sink.put(&e, None)?;
        }
    }
    Ok(moved)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}
