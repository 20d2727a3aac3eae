//! `cp`: copying between a container and the host, both directions, running or stopped,
//! with Docker's path rules ([`rules`]) and `-` tar streams.
//!
//! Everything inside the container is reached through the container's root fd
//! (`rootfs_access`) with `openat2(RESOLVE_IN_ROOT)` ([`resolve`]), read by an fd-only walk
//! ([`walk`]) and written by an extractor that creates each object relative to a resolved
//! parent fd without following it ([`extract`]): a hostile symlink (`/escape -> /`) is
//! followed as the container would follow it, never to a host path.
//!
//! | module | concern |
//! |---|---|
//! | [`rules`] | Docker's destination rules (dir vs file, `/.`, trailing `/`) |
//! | [`resolve`] | lexical cleaning and `openat2` lookups below a root fd |
//! | [`stream`] | the entries a copy moves; tar writer and reader |
//! | [`walk`] | a source tree → entries, through fds only |
//! | [`extract`] | entries → files below a directory of a root fd |

pub(crate) mod extract;
pub(crate) mod resolve;
pub(crate) mod rules;
pub(crate) mod stream;
#[cfg(test)]
mod tests;
pub(crate) mod walk;

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use super::rootfs_access::View;
use crate::error::{EngineError, Result};
use crate::Engine;
use extract::{Extractor, Owner};
use resolve::Located;
use rules::{DstInfo, RuleError, SrcInfo};
use stream::TarSink;
use walk::Walker;

/// `cp` flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// `-L`: follow a symlink at the end of SRC_PATH.
    pub follow_link: bool,
    /// `-a`: keep uid/gid (into a container; otherwise files there belong to root).
    pub archive: bool,
}

/// Where `cp CONTAINER:SRC` writes.
pub enum CopyDest<'a> {
    /// A host path (Docker's destination rules apply).
    Host(String),
    /// A tar stream (`-`).
    Stream(&'a mut (dyn Write + Send)),
}

/// What `cp … CONTAINER:DEST` reads.
pub enum CopySource<'a> {
    /// A host path.
    Host(String),
    /// A tar stream (`-`), extracted into DEST, which must be a directory.
    Stream(&'a mut (dyn Read + Send)),
}

/// Bytes of file content copied (for Docker's `Successfully copied 1.2kB to …`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub bytes: u64,
}

/// Why a copy failed, in Docker's words.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The daemon's 404: `Could not find the file /nope in container web`.
    #[error("Could not find the file {file} in container {container}")]
    NotFound { file: String, container: String },
    /// Docker's client-side rule: a directory onto an existing file.
    #[error("cannot copy directory")]
    CannotCopyDir,
    /// Docker's client-side rule: a file to `missing/`.
    #[error("no such directory")]
    DirNotExists,
    /// The extraction point inside the container is not a directory.
    #[error("extraction point is not a directory")]
    NotADirectory,
    /// `cp - CONTAINER:PATH` where PATH is not a directory.
    #[error("destination \"{container}:{path}\" must be a directory")]
    StreamNeedsDir { container: String, path: String },
    /// The destination is neither a directory nor a regular file.
    #[error("destination \"{container}:{path}\" must be a directory or a regular file")]
    BadDestination { container: String, path: String },
    /// A local path (Docker's client reports these bare: `lstat /x: no such file or directory`).
    #[error("{op} {path}: {}", go_errno(source))]
    Local {
        op: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    /// Anything failing while reading or writing the files.
    #[error("{0}")]
    Io(io::Error),
}

impl CopyError {
    /// Whether Docker's client (rather than its daemon) reports this error: printed
    /// without `Error response from daemon: `.
    pub fn is_client_side(&self) -> bool {
        matches!(
            self,
            CopyError::CannotCopyDir
                | CopyError::DirNotExists
                | CopyError::StreamNeedsDir { .. }
                | CopyError::BadDestination { .. }
                | CopyError::Local { .. }
        )
    }
}

impl From<RuleError> for CopyError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::CannotCopyDir => CopyError::CannotCopyDir,
            RuleError::DirNotExists => CopyError::DirNotExists,
        }
    }
}

/// An OS error worded as Go prints it (`no such file or directory`).
fn go_errno(e: &io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn is_not_found(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(c) if c == rustix::io::Errno::NOENT.raw_os_error() || c == rustix::io::Errno::NOTDIR.raw_os_error())
}

fn host_root() -> Result<OwnedFd> {
    rustix::fs::open(
        "/",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| EngineError::io("open", "/", e.into()))
}

/// The absolute form of a local path, keeping a trailing `/` or `/.` (Docker's
/// `resolveLocalPath`).
fn absolute_local(p: &str) -> Result<String> {
    if p.starts_with('/') {
        return Ok(p.to_string());
    }
    let cwd = std::env::current_dir().map_err(|e| EngineError::io("read", ".", e))?;
    let mut s = cwd.join(p).to_string_lossy().into_owned();
    if (p.ends_with('/') || p.ends_with("/.") || p == ".")
        && !s.ends_with('/')
        && !s.ends_with("/.")
    {
        s.push('/');
    }
    Ok(s)
}

/// Stats a source and says what it is for the rules.
fn source_info(root: BorrowedFd<'_>, located: &Located, base_of: &str) -> io::Result<SrcInfo> {
    Ok(match located {
        Located::Contents { .. } => SrcInfo {
            is_dir: true,
            base: ".".into(),
        },
        Located::Entry { parent, name } => {
            let _ = root;
            let st = rustix::fs::statat(
                parent,
                name.as_os_str(),
                rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            )?;
            SrcInfo {
                is_dir: FileType::from_raw_mode(st.st_mode) == FileType::Directory,
                base: rules::split_dir_entry(base_of).1,
            }
        }
    })
}

/// Walks a located source into `sink`, its top entry named `top`.
fn send(located: Located, top: &Path, sink: &mut dyn stream::Sink) -> io::Result<u64> {
    let mut w = Walker::new(sink);
    match located {
        Located::Contents { dir } => w.dir(dir, top)?,
        Located::Entry { parent, name } => w.entry_at(parent.as_fd(), &name, top)?,
    }
    Ok(w.moved)
}

/// What a destination path (followed) is, below `root`.
fn dest_info(root: BorrowedFd<'_>, rel: &Path, shown: &str) -> io::Result<DstInfo> {
    match resolve::open_path(root, rel) {
        Ok(fd) => {
            let st = rustix::fs::fstat(&fd)?;
            let ft = FileType::from_raw_mode(st.st_mode);
            Ok(DstInfo {
                path: shown.to_string(),
                exists: true,
                is_dir: ft == FileType::Directory,
            })
        }
        Err(e) if is_not_found(&e) => Ok(DstInfo {
            path: shown.to_string(),
            exists: false,
            is_dir: false,
        }),
        Err(e) => Err(e),
    }
}

impl Engine {
    /// `cp CONTAINER:SRC DEST|-`.
    pub fn copy_from_container(
        &mut self,
        container: &str,
        src: &str,
        dest: CopyDest<'_>,
        opts: CopyOptions,
    ) -> Result<CopyReport> {
        let c = self.container(container)?;
        let not_found = || CopyError::NotFound {
            file: src.to_string(),
            container: container.to_string(),
        };
        // The host side is decided before the container is touched.
        let host = match &dest {
            CopyDest::Host(p) => {
                let abs = absolute_local(p)?;
                let root = host_root()?;
                let rel = resolve::clean(Path::new(&abs));
                let info = dest_info(root.as_fd(), &rel, &abs).map_err(CopyError::Io)?;
                if !info.exists {
                    let (parent, _) = rules::split_dir_entry(&abs);
                    match std::fs::metadata(&parent) {
                        Ok(m) if m.is_dir() => {}
                        Ok(_) => {
                            return Err(CopyError::Local {
                                op: "stat",
                                path: parent.display().to_string(),
                                source: io::Error::from_raw_os_error(
                                    rustix::io::Errno::NOTDIR.raw_os_error(),
                                ),
                            }
                            .into())
                        }
                        Err(e) => {
                            return Err(CopyError::Local {
                                op: "stat",
                                path: parent.display().to_string(),
                                source: e,
                            }
                            .into())
                        }
                    }
                }
                Some((root, info))
            }
            CopyDest::Stream(_) => None,
        };
        self.with_container_root(&c, View::Live, move |r| {
            let located = resolve::locate(r.fd(), src, opts.follow_link).map_err(|e| {
                if is_not_found(&e) {
                    EngineError::from(not_found())
                } else {
                    CopyError::Io(e).into()
                }
            })?;
            let info = source_info(r.fd(), &located, src).map_err(CopyError::Io)?;
            let bytes = match (dest, host) {
                (CopyDest::Stream(w), _) => {
                    let mut sink = TarSink::new(w);
                    let n =
                        send(located, Path::new(&info.base), &mut sink).map_err(CopyError::Io)?;
                    sink.finish()
                        .and_then(|w| w.flush())
                        .map_err(CopyError::Io)?;
                    n
                }
                (CopyDest::Host(_), Some((root, dst))) => {
                    let plan = rules::plan(&info, &dst).map_err(CopyError::from)?;
                    let dir = resolve::clean(&plan.dir);
                    let mut ex = Extractor::new(root.as_fd(), dir, Owner::Caller);
                    let n = send(located, Path::new(&plan.top), &mut ex).map_err(CopyError::Io)?;
                    ex.finish().map_err(CopyError::Io)?;
                    n
                }
                (CopyDest::Host(_), None) => 0,
            };
            Ok(CopyReport { bytes })
        })
    }

    /// `cp SRC|- CONTAINER:DEST`.
    pub fn copy_to_container(
        &mut self,
        src: CopySource<'_>,
        container: &str,
        dest: &str,
        opts: CopyOptions,
    ) -> Result<CopyReport> {
        let c = self.container(container)?;
        let owner = if opts.archive {
            Owner::Keep
        } else {
            Owner::Set(0, 0)
        };
        // The local source is located before the container is touched.
        let local = match &src {
            CopySource::Host(p) => {
                let abs = absolute_local(p)?;
                let root = host_root()?;
                let located =
                    resolve::locate(root.as_fd(), &abs, opts.follow_link).map_err(|e| {
                        CopyError::Local {
                            op: "lstat",
                            path: abs.trim_end_matches('/').to_string(),
                            source: e,
                        }
                    })?;
                let info = source_info(root.as_fd(), &located, &abs).map_err(CopyError::Io)?;
                Some((root, located, info))
            }
            CopySource::Stream(_) => None,
        };
        let dest_rel = resolve::clean(Path::new(dest));
        let container_name = container.to_string();
        self.with_container_root(&c, View::Live, move |r| {
            let dst = dest_info(r.fd(), &dest_rel, dest).map_err(CopyError::Io)?;
            if dst.exists && !dst.is_dir {
                let fd = resolve::open_path(r.fd(), &dest_rel).map_err(CopyError::Io)?;
                let st = rustix::fs::fstat(&fd).map_err(|e| CopyError::Io(e.into()))?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return Err(CopyError::BadDestination {
                        container: container_name,
                        path: dest.to_string(),
                    }
                    .into());
                }
            }
            // Docker's daemon: the extraction directory must exist and be a directory.
            let check_dir = |dir: &Path, shown: &str| -> Result<PathBuf> {
                let rel = resolve::clean(dir);
                match resolve::open_dir(r.fd(), &rel) {
                    Ok(_) => Ok(rel),
                    Err(e)
                        if e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) =>
                    {
                        Err(CopyError::NotADirectory.into())
                    }
                    Err(e) if is_not_found(&e) => Err(CopyError::NotFound {
                        file: shown.to_string(),
                        container: container_name.clone(),
                    }
                    .into()),
                    Err(e) => Err(CopyError::Io(e).into()),
                }
            };
            let bytes = match (src, local) {
                (CopySource::Stream(rd), _) => {
                    if !(dst.exists && dst.is_dir) {
                        return Err(CopyError::StreamNeedsDir {
                            container: container_name.clone(),
                            path: dest.to_string(),
                        }
                        .into());
                    }
                    let dir = check_dir(&dest_rel, dest)?;
                    let mut ex = Extractor::new(r.fd(), dir, owner);
                    let n = stream::from_tar(rd, &mut ex).map_err(CopyError::Io)?;
                    ex.finish().map_err(CopyError::Io)?;
                    n
                }
                (CopySource::Host(_), Some((_root, located, info))) => {
                    let plan = rules::plan(&info, &dst).map_err(CopyError::from)?;
                    let shown = plan.dir.to_string_lossy().into_owned();
                    let dir = check_dir(&plan.dir, &shown)?;
                    let mut ex = Extractor::new(r.fd(), dir, owner);
                    let n = send(located, Path::new(&plan.top), &mut ex).map_err(CopyError::Io)?;
                    ex.finish().map_err(CopyError::Io)?;
                    n
                }
                (CopySource::Host(_), None) => 0,
            };
            Ok(CopyReport { bytes })
        })
    }
}
