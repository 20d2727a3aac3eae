//! Container lifecycle operations, one file each: create, start, run, kill, delete,
//! exec, pause/resume, update, ps and state. Each takes the lock of the container's
//! state directory, so concurrent commands on one container are serialised.

mod create;
mod delete;
mod exec;
pub mod foreground;
mod run;
mod signal;
mod start;
mod status;

pub use create::{create, CreateOpts, Created};
pub use delete::delete;
pub use exec::{exec, ExecOpts, Execed};
pub use run::{exec_run, run, run_detached};
pub use signal::{kill, parse_signal};
pub use start::start;
pub use status::{list, load, oom_killed, pause, pids, resume, state_json, stats, update, Loaded};
