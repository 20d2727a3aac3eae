//! Putting the container's first process into its cgroups without the runtime
//! writing its pid. A pid written to `cgroup.procs` takes the kernel's global
//! threadgroup lock for writing, which waits for an RCU grace period: about 8 ms per
//! start on this kind of host, more than the rest of a container start. Instead the
//! runtime opens the v1 `tasks` files beforehand and the new process writes "0" to
//! each (a thread moving itself skips that lock), and on cgroup2 the process is born
//! in its cgroup with clone3(CLONE_INTO_CGROUP).

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use super::error::CgroupError;
use super::manager::Manager;
use super::CgroupSetup;

/// What the runtime opens before the clone; the child calls [`SelfJoin::join`].
pub struct SelfJoin {
    /// The cgroup2 directory, for CLONE_INTO_CGROUP.
    v2_dir: Option<File>,
    /// The `tasks` file of each v1 hierarchy, opened for writing.
    v1_tasks: Vec<(PathBuf, File)>,
}

impl SelfJoin {
    /// The cgroup2 directory fd to pass to clone3, if any.
    pub fn clone_into(&self) -> Option<BorrowedFd<'_>> {
        self.v2_dir.as_ref().map(|f| f.as_fd())
    }

    /// In the new (single-threaded) process: moves itself into every v1 cgroup.
    pub fn join(&self) -> Result<(), CgroupError> {
        for (path, f) in &self.v1_tasks {
            let mut f = f;
            f.write_all(b"0").map_err(|source| CgroupError::AddTask {
                pid: 0,
                path: path.clone(),
                source,
                hint: "",
            })?;
        }
        Ok(())
    }

    /// Drops the cgroup2 fd, for a clone without CLONE_INTO_CGROUP.
    pub fn without_clone_into(mut self) -> Self {
        self.v2_dir = None;
        self
    }

    pub fn has_clone_into(&self) -> bool {
        self.v2_dir.is_some()
    }
}

impl Manager {
    /// Opens the files and directory the container's first process joins through.
    pub fn self_join(&self) -> Result<SelfJoin, CgroupError> {
        let open_err = |path: PathBuf| {
            move |source| CgroupError::AddTask {
                pid: 0,
                path,
                source,
                hint: "",
            }
        };
        let paths = self.paths();
        let mut v1_tasks = Vec::new();
        if paths.setup != CgroupSetup::Unified {
            for h in &paths.v1 {
                let p = h.dir.path.join("tasks");
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .map_err(open_err(p.clone()))?;
                v1_tasks.push((p, f));
            }
        }
        let v2_dir = match &paths.unified {
            Some(d) => Some(File::open(&d.path).map_err(open_err(d.path.clone()))?),
            None => None,
        };
        Ok(SelfJoin { v2_dir, v1_tasks })
    }
}
