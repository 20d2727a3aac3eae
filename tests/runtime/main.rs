//! End-to-end tests of berth-runtime: one module per feature, each test with its own
//! `--root`, bundle and cgroup path, cleaning up what it makes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod basics;
mod console;
mod escapes;
mod hooks;
mod lifecycle;
mod mounts;
mod namespaces;
mod podman;
mod resources;
mod security;
