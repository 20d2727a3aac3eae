//! Containers: Docker's model (config, host config, state) over the runtime, the storage
//! snapshots and the per-container monitor.

pub mod config;
pub mod spec;

pub use config::{ContainerConfig, CreateRequest, HostConfig, PullPolicy};
