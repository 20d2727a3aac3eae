//! End-to-end tests of berth-runtime: one module per feature, each test with its own
//! `--root`, bundle and cgroup path, cleaning up what it makes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod basics;
mod podman;
