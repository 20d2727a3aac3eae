//! berth's OCI runtime: turns an OCI bundle (config.json + rootfs) into an isolated,
//! limited process. Knows nothing of images, the state DB or networks (DESIGN.md §2).

pub use oci_spec;
pub mod cgroups;
