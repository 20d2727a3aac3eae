//! berth `engine` crate: the model the front ends (CLI, API server) share (DESIGN.md §2).
//!
//! | module | concern |
//! |---|---|
//! | [`root`] | where state lives (`/var/lib/berth`, `--root`, `BERTH_ROOT`) |
//! | [`db`] | the SQLite state database: schema, migrations, short write transactions |
//! | [`check`] | `system check`: find and repair what interrupted operations left |
//! | [`containers`] | containers: config types (Docker's `Config`/`HostConfig`), create, start, stop, remove |
//! | [`images`] | the image service: pull, push, import, list, tag, remove, inspect, prune |
//! | [`networks`] | bridge networks: create/ls/rm, container endpoints, published ports |
//! | [`usage`] | `system df`: disk usage of images, containers, volumes |
//! | [`events`] | the event journal (`berth events`): emit, read, follow, filter |
//! | [`error`] | [`EngineError`], naming the image, layer or path of every failure |
#![forbid(unsafe_code)]

pub mod check;
pub mod containers;
pub mod db;
pub mod error;
pub mod events;
pub mod images;
mod lock;
pub mod networks;
pub mod root;
mod service;
pub mod usage;
pub mod volumes;

pub use check::CheckReport;
pub use error::{EngineError, Result};
pub use images::{
    HistoryEntry, ImageService, ImageSummary, ImportOptions, PruneReport, PullReport, PushReport,
    RemoveLine,
};
pub use root::Root;
pub use service::Engine;
