//! `exec`: a new process in a running container, run by the OCI runtime binary
//! (`berth-runtime exec --process`), started from a read-only bind of itself
//! (CVE-2019-5736) — so the berth CLI itself never enters a container.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use super::state::is_active;
use crate::error::{EngineError, Result};
use crate::Engine;

/// What `exec` runs.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    /// `-u`: `user[:group]`, names or numbers; empty = the container's user.
    pub user: String,
    /// `-w`; empty = the container's working directory.
    pub workdir: String,
    pub tty: bool,
    pub detach: bool,
    pub privileged: bool,
}

/// `berth-runtime` next to the running binary, else on PATH.
pub fn runtime_exe() -> PathBuf {
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        let p = dir.join("berth-runtime");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("berth-runtime")
}

/// A file of the running container's own root (`/proc/PID/root/...`); a symlinked file is
/// treated as missing, as when the spec is built, so it can never name a host file.
fn read_in_root(root: &Path, rel: &str) -> Option<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(root.join(rel))
        .ok()?;
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).ok()?;
    Some(s)
}

impl Engine {
    /// Runs `req` in the container; returns its exit code (0 when detached). The
    /// process inherits this process's stdio (a tty is relayed by the runtime).
    pub fn container_exec(&mut self, id_or_name: &str, req: &ExecRequest) -> Result<i32> {
        let c = self.container(id_or_name)?;
        if c.state.status == "paused" {
            return Err(EngineError::ContainerConflict(format!(
                "Container {} is paused, unpause the container before exec",
                c.id
            )));
        }
        if !is_active(&c.state.status) || c.state.pid <= 0 {
            return Err(EngineError::ContainerConflict(format!(
                "Container {} is not running",
                c.id
            )));
        }
        let bundle = self.root().container_dir(&c.id);
        let cfg_path = bundle.join("config.json");
        let spec: Value = std::fs::read(&cfg_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| EngineError::Container {
                id: c.id.clone(),
                reason: format!("read {}", cfg_path.display()),
            })?;
        let mut process = spec.get("process").cloned().unwrap_or(Value::Null);
        let obj = process
            .as_object_mut()
            .ok_or_else(|| EngineError::Container {
                id: c.id.clone(),
                reason: "config.json has no process".into(),
            })?;
        obj.insert("args".into(), Value::from(req.cmd.clone()));
        obj.insert("terminal".into(), Value::from(req.tty));
        if !req.workdir.is_empty() {
            obj.insert("cwd".into(), Value::from(req.workdir.clone()));
        }
        let mut env: Vec<Value> = obj
            .get("env")
            .and_then(|e| e.as_array())
            .cloned()
            .unwrap_or_default();
        for e in &req.env {
            let key = e.split('=').next().unwrap_or("");
            env.retain(|x| x.as_str().and_then(|s| s.split('=').next()) != Some(key));
            env.push(Value::from(e.clone()));
        }
        obj.insert("env".into(), Value::from(env));
        if !req.user.is_empty() {
            let root = PathBuf::from(format!("/proc/{}/root", c.state.pid));
            let u = super::spec::user::resolve(
                &req.user,
                &[],
                read_in_root(&root, "etc/passwd").as_deref(),
                read_in_root(&root, "etc/group").as_deref(),
            )?;
            obj.insert(
                "user".into(),
                serde_json::json!({"uid": u.uid, "gid": u.gid, "additionalGids": u.additional_gids}),
            );
        }
        if req.privileged {
            let all: Vec<Value> = runtime::security::caps::known_capabilities()
                .into_iter()
                .map(Value::from)
                .collect();
            obj.insert(
                "capabilities".into(),
                serde_json::json!({"bounding": all, "effective": all, "permitted": all}),
            );
        }
        let run_dir = self.root().monitor_dir(&c.id);
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| EngineError::io("create directory", &run_dir, e))?;
        let file = run_dir.join(format!("exec-{}.json", &super::names::new_id()[..16]));
        std::fs::write(&file, process.to_string())
            .map_err(|e| EngineError::io("write", &file, e))?;
        // Started read-only already (CVE-2019-5736), so it need not re-execute itself.
        let mut cmd = runtime::cloned_exe::protected_command(&runtime_exe());
        cmd.arg("--root")
            .arg(self.root().runtime_dir())
            .arg("exec")
            .arg("--process")
            .arg(&file);
        if req.detach {
            cmd.arg("--detach")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        }
        cmd.arg(&c.id);
        let exec_id = super::names::new_id();
        let what = req.cmd.join(" ");
        let exec_attr = [("execID", exec_id.as_str())];
        self.emit_container(&c, &format!("exec_create: {what}"), &exec_attr);
        self.emit_container(&c, &format!("exec_start: {what}"), &exec_attr);
        let status = cmd.status();
        let _ = std::fs::remove_file(&file);
        let status = status.map_err(|e| EngineError::io("run", runtime_exe(), e))?;
        let code = match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(&status),
        ) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            _ => 125,
        };
        if !req.detach {
            let code_s = code.to_string();
            self.emit_container(
                &c,
                "exec_die",
                &[("execID", exec_id.as_str()), ("exitCode", code_s.as_str())],
            );
        }
        Ok(code)
    }
}
