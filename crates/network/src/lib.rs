//! berth `network` crate: filled by its own issue (see DESIGN.md §2).
#![forbid(unsafe_code)]
