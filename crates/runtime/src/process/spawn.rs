//! The one place that clones a container process into its cgroups: born in the
//! cgroup2 directory with CLONE_INTO_CGROUP when possible, and given the pre-opened v1
//! `tasks` files to join itself (see `cgroups::join`). When neither is possible the
//! runtime must write the child's pid (`Manager::add_task`), signalled by `None`.

use crate::cgroups::{Manager, SelfJoin};
use crate::sys::{clone3, CloneResult};

/// clone3 with `flags` into `cg`; the caller must be single-threaded.
pub fn clone_into_cgroups(
    flags: u64,
    cg: &Manager,
) -> std::io::Result<(CloneResult, Option<SelfJoin>)> {
    let join = cg.self_join().ok();
    match clone3(flags, join.as_ref().and_then(|j| j.clone_into())) {
        Ok(r) => Ok((r, join)),
        // CLONE_INTO_CGROUP refused (old kernel, or a cgroup2 dir it cannot use).
        Err(_) if join.as_ref().is_some_and(|j| j.has_clone_into()) => {
            Ok((clone3(flags, None)?, None))
        }
        Err(e) => Err(e),
    }
}
