//! v2 pids controller: the same pids.max / pids.current files as v1.

pub(crate) use crate::cgroups::v1::pids::{apply, stats};
