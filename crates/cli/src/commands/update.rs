//! `berth update [OPTIONS] CONTAINER...`: new limits and restart policy, Docker's flags
//! parsed by the `run` flag parsers (`container_flags`). Prints each container as given;
//! errors are reported one per line (exit 1), as Docker's CLI does.

use engine::containers::update::UpdateRequest;

use super::container_flags::error::{parse_go_int, FlagError};
use super::container_flags::{restart, units};
use super::{Coded, Failed};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable (not supported by berth)
    #[arg(long = "blkio-weight", value_name = "uint16")]
    pub blkio_weight: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period", value_name = "int", allow_hyphen_values = true)]
    pub cpu_period: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", value_name = "int", allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// Limit the CPU real-time period in microseconds (not supported by berth)
    #[arg(long = "cpu-rt-period", value_name = "int")]
    pub cpu_rt_period: Option<String>,
    /// Limit the CPU real-time runtime in microseconds (not supported by berth)
    #[arg(long = "cpu-rt-runtime", value_name = "int")]
    pub cpu_rt_runtime: Option<String>,
    /// CPU shares (relative weight)
    #[arg(
        short = 'c',
        long = "cpu-shares",
        value_name = "int",
        allow_hyphen_values = true
    )]
    pub cpu_shares: Option<String>,
    /// Number of CPUs
    #[arg(long, value_name = "decimal")]
    pub cpus: Option<String>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus", value_name = "string")]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems", value_name = "string")]
    pub cpuset_mems: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long, value_name = "bytes")]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation", value_name = "bytes")]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", value_name = "bytes", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", value_name = "int", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Restart policy to apply when a container exits
    #[arg(long, value_name = "string")]
    pub restart: Option<String>,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// A flag error, as Docker's CLI prints it (exit 125).
fn flag_err(e: FlagError) -> anyhow::Error {
    Coded {
        code: 125,
        msg: e.render("update"),
    }
    .into()
}

/// The request from the flags, each value checked by `run`'s parser for that flag.
fn request(a: &Args) -> Result<UpdateRequest, FlagError> {
    let size = |flag: &str, v: &Option<String>| -> Result<Option<i64>, FlagError> {
        v.as_deref()
            .map(|s| units::ram_in_bytes(s).map_err(|e| FlagError::value(flag, s, e)))
            .transpose()
    };
    let int = |flag: &str, v: &Option<String>| -> Result<Option<i64>, FlagError> {
        v.as_deref()
            .map(|s| parse_go_int(s).map_err(|e| FlagError::value(flag, s, e)))
            .transpose()
    };
    if a.blkio_weight.as_deref().is_some_and(|w| w != "0") {
        return Err(FlagError::invalid(
            "--blkio-weight is not supported by berth",
        ));
    }
    for (flag, v) in [
        ("cpu-rt-period", &a.cpu_rt_period),
        ("cpu-rt-runtime", &a.cpu_rt_runtime),
    ] {
        if v.as_deref().is_some_and(|v| v != "0") {
            return Err(FlagError::invalid(format!(
                "--{flag} is not supported by berth"
            )));
        }
    }
    Ok(UpdateRequest {
        memory: size("-m, --memory", &a.memory)?,
        memory_swap: match a.memory_swap.as_deref() {
            Some("-1") => Some(-1),
            _ => size("--memory-swap", &a.memory_swap)?,
        },
        memory_reservation: size("--memory-reservation", &a.memory_reservation)?,
        nano_cpus: a
            .cpus
            .as_deref()
            .map(|s| units::parse_cpus(s).map_err(|e| FlagError::value("--cpus", s, e)))
            .transpose()?,
        cpu_shares: int("-c, --cpu-shares", &a.cpu_shares)?,
        cpu_quota: int("--cpu-quota", &a.cpu_quota)?,
        cpu_period: int("--cpu-period", &a.cpu_period)?,
        cpuset_cpus: a.cpuset_cpus.clone(),
        cpuset_mems: a.cpuset_mems.clone(),
        pids_limit: int("--pids-limit", &a.pids_limit)?,
        restart_policy: a
            .restart
            .as_deref()
            .map(restart::parse_restart)
            .transpose()?,
    })
}

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let req = request(&a).map_err(flag_err)?;
    if req == UpdateRequest::default() && a.blkio_weight.is_none() {
        anyhow::bail!("you must provide one or more flags when using this command");
    }
    let mut engine = g.engine().map_err(super::daemon)?;
    let mut failed = false;
    for n in &a.containers {
        match engine.container_update(n, &req) {
            Ok(_) => println!("{n}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failed.into());
    }
    Ok(())
}
