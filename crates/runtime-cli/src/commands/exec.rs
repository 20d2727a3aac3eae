//! `exec`: a process from `-p process.json`, or from the command line on top of the
//! container's own process settings (as runc does).

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use anyhow::{bail, Context, Result};
use runtime::container::{self, ExecOpts};
use runtime::oci_spec::runtime::{Capability, Process, UserBuilder};

use crate::cli::ExecArgs;

fn process_from_args(root: &Path, a: &ExecArgs) -> Result<Process> {
    if let Some(p) = &a.process {
        let text =
            std::fs::read(p).with_context(|| format!("read process file {}", p.display()))?;
        return serde_json::from_slice(&text)
            .with_context(|| format!("parse process file {}", p.display()));
    }
    if a.command.is_empty() {
        bail!("exec needs a command (or -p process.json)");
    }
    let c = container::load(root, &a.id)?;
    let mut p = c.saved.spec.process().clone().unwrap_or_default();
    p.set_args(Some(a.command.clone()));
    p.set_terminal(Some(a.tty));
    p.set_console_size(None);
    let mut env = p.env().clone().unwrap_or_default();
    for e in &a.env {
        let key = e.split('=').next().unwrap_or_default();
        env.retain(|x| x.split('=').next() != Some(key));
        env.push(e.clone());
    }
    p.set_env(Some(env));
    if let Some(cwd) = &a.cwd {
        p.set_cwd(cwd.into());
    }
    if let Some(u) = &a.user {
        let (uid, gid) = match u.split_once(':') {
            Some((u, g)) => (u.parse::<u32>()?, g.parse::<u32>()?),
            None => (
                u.parse::<u32>()
                    .with_context(|| format!("--user {u:?}: expected UID[:GID]"))?,
                0,
            ),
        };
        let user = UserBuilder::default()
            .uid(uid)
            .gid(gid)
            .additional_gids(a.additional_gids.clone())
            .build()?;
        p.set_user(user);
    }
    if a.no_new_privs {
        p.set_no_new_privileges(Some(true));
    }
    if let Some(profile) = &a.apparmor {
        p.set_apparmor_profile(Some(profile.clone()));
    }
    if let Some(label) = &a.process_label {
        p.set_selinux_label(Some(label.clone()));
    }
    if !a.cap.is_empty() {
        let mut caps = p.capabilities().clone().unwrap_or_default();
        for name in &a.cap {
            let cap: Capability = name
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown capability {name:?}"))?;
            let add = |s: &Option<runtime::oci_spec::runtime::Capabilities>| {
                let mut s = s.clone().unwrap_or_default();
                s.insert(cap);
                Some(s)
            };
            caps.set_bounding(add(caps.bounding()));
            caps.set_effective(add(caps.effective()));
            caps.set_permitted(add(caps.permitted()));
            caps.set_ambient(add(caps.ambient()));
            caps.set_inheritable(add(caps.inheritable()));
        }
        p.set_capabilities(Some(caps));
    }
    Ok(p)
}

pub fn exec(root: &Path, a: ExecArgs) -> Result<i32> {
    runtime::cloned_exe::ensure_protected()?;
    let process = process_from_args(root, &a)?;
    let console = a
        .console_socket
        .as_deref()
        .map(|p| {
            UnixStream::connect(p)
                .map(OwnedFd::from)
                .with_context(|| format!("connect to console socket {}", p.display()))
        })
        .transpose()?;
    let code = container::exec_run(
        ExecOpts {
            root,
            id: &a.id,
            process,
            console,
            pid_file: a.pid_file.as_deref(),
            preserve_fds: a.preserve_fds,
        },
        a.detach,
    )?;
    Ok(code)
}
