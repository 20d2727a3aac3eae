//! Containers: Docker's model (config, host config, state) over the runtime, the storage
//! snapshots and the per-container monitor (`crates/monitor`).
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | Docker's `Config`/`HostConfig` types, parsed from flags or API JSON |
//! | [`names`] | ids and random names |
//! | [`spec`] | config + image → the OCI spec, with Docker's defaults |
//! | [`create`] | id, name, snapshot, volumes, /etc files, config.json, then the row |
//! | [`lifecycle`] | start (spawn the monitor), stop, kill, restart, pause, wait |
//! | [`remove`] | `rm`, `--rm` cleanup, `container prune` |
//! | [`state`] | the recorded state brought up to date with the monitor's |
//! | [`logs`] | reading the json-file log |
//! | [`inspect`] | Docker's inspect JSON |
//! | [`stats`] | one sample of a container's resource use (`stats`) |
//! | [`update`] | new limits and restart policy, live and recorded (`update`) |
//! | [`port`] | published ports and Docker's `port` lines |
//! | [`rootfs_access`] | the container's root dir for `cp`/`export` (`/proc/<pid>/root`, or the snapshot in a private mount namespace) |
//! | [`changes`] | `diff`: the writable layer's changes |
//! | [`commit`] | `commit`: the writable layer as a new image |
//! | [`export`] | `export`: the root filesystem as a tar |
//! | [`copy`] | `cp` both ways, confined with `openat2(RESOLVE_IN_ROOT)` |

pub mod changes;
pub mod commit;
pub mod config;
pub mod copy;
pub mod create;
pub mod exec;
pub mod export;
pub mod inspect;
pub mod lifecycle;
pub mod logs;
pub mod names;
pub mod port;
pub mod remove;
pub mod rootfs_access;
pub mod spec;
pub mod state;
pub mod stats;
pub mod update;

use std::time::SystemTime;

pub use config::{ContainerConfig, CreateRequest, HostConfig, PullPolicy};

use crate::db::ContainerRecord;
use crate::error::{EngineError, Result};
use crate::Engine;

/// Now, as Docker writes times: RFC 3339, UTC, nanoseconds.
pub fn now_rfc3339() -> String {
    runtime::state::rfc3339_now()
}

/// A time as written by [`now_rfc3339`] (or by the monitor), if it parses.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
        .ok()
        .or_else(|| humantime::parse_rfc3339(s).ok())
}

impl Engine {
    /// The container an id, name or unique id prefix names, Docker's way (full id, then
    /// name, then prefix), with its state brought up to date.
    pub fn container(&mut self, id_or_name: &str) -> Result<ContainerRecord> {
        let rec = self.find_container(id_or_name)?;
        self.refresh(rec)
    }

    /// As [`Engine::container`], without asking the monitor.
    pub(crate) fn find_container(&self, id_or_name: &str) -> Result<ContainerRecord> {
        if let Some(c) = self.db().container(id_or_name)? {
            return Ok(c);
        }
        let mut matches = self.db().containers_with_prefix(id_or_name)?;
        match matches.len() {
            0 => Err(EngineError::NoSuchContainer(id_or_name.to_string())),
            1 => Ok(matches.remove(0)),
            _ => Err(EngineError::InvalidParameter(format!(
                "multiple IDs found with provided prefix: {id_or_name}"
            ))),
        }
    }

    /// Every container, newest first, states up to date.
    pub fn containers(&mut self) -> Result<Vec<ContainerRecord>> {
        let all = self.db().containers()?;
        all.into_iter().map(|c| self.refresh(c)).collect()
    }
}
