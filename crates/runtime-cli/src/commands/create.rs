//! `create` and `run`.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use anyhow::{Context, Result};
use runtime::container::{self, CreateOpts};

use crate::cli::CreateArgs;

fn connect(p: Option<&Path>) -> Result<Option<OwnedFd>> {
    p.map(|p| {
        UnixStream::connect(p)
            .map(OwnedFd::from)
            .with_context(|| format!("connect to console socket {}", p.display()))
    })
    .transpose()
}

fn opts<'a>(root: &'a Path, a: &'a CreateArgs) -> Result<CreateOpts<'a>> {
    Ok(CreateOpts {
        root,
        id: &a.id,
        bundle: runtime::spec::load(&a.bundle)?,
        console: connect(a.console_socket.as_deref())?,
        pid_file: a.pid_file.as_deref(),
        no_pivot: a.no_pivot,
        preserve_fds: a.preserve_fds,
        for_run: false,
    })
}

pub fn create(root: &Path, a: CreateArgs) -> Result<i32> {
    runtime::cloned_exe::ensure_protected()?;
    container::create(opts(root, &a)?)?;
    Ok(0)
}

pub fn run(root: &Path, a: CreateArgs, detach: bool, keep: bool) -> Result<i32> {
    runtime::cloned_exe::ensure_protected()?;
    Ok(container::run(opts(root, &a)?, detach, keep)?)
}
