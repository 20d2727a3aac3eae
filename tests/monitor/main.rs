//! End-to-end tests of berth-monitor: real containers from the busybox bundle, each
//! test with its own run dir, runtime root and cgroup, leaving nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixture;

mod health;
mod io;
mod lifecycle;
mod restart;
