//! berth OCI runtime.

pub mod cgroups;
pub mod security;
pub use oci_spec;
