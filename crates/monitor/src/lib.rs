//! berth's per-container monitor (the role of podman's conmon), and the library the
//! engine uses to start it and talk to it.
//!
//! The engine side: [`config::MonitorConfig`] (written as `<run_dir>/monitor.json`),
//! [`spawn::spawn`] (starts `berth-monitor`, returns once the container runs),
//! [`client::Client`] (attach and wait over `<run_dir>/attach`, framed as in
//! [`protocol`]), [`state::read`] (`<run_dir>/state.json`) and [`events`] (the event
//! journal both the engine and the monitor append to).
//!
//! The monitor side lives in [`daemon`]: one single-threaded poll loop that holds the
//! container's stdio, writes the json-file log, reaps, restarts, runs healthchecks and
//! serves attach clients. `unsafe` is confined to [`sys`].

pub mod client;
pub mod config;
pub mod daemon;
pub mod error;
pub mod events;
pub mod protocol;
pub mod spawn;
pub mod state;
mod sys;
pub mod time;

pub use client::{Client, Frame};
pub use config::MonitorConfig;
pub use error::MonitorError;
pub use spawn::{find_monitor_exe, spawn, SpawnError, Spawned, StartErrorKind};
pub use state::MonitorState;
