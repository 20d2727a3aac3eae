//! The two ways a layer records deletions, and their overlayfs forms.
//!
//! In a layer tar (OCI image spec, "Whiteouts"): an empty file `.wh.NAME` deletes `NAME`
//! from the layers below, and `.wh..wh..opq` in a directory hides everything below it in that
//! directory. In an overlay upper/lower dir: a character device 0:0 named `NAME`, and the
//! xattr `trusted.overlay.opaque=y` on the directory.

/// Prefix of a whiteout file in a layer tar.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// The opaque-directory marker in a layer tar.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Prefix of aufs bookkeeping entries (`.wh..wh.plnk`, …), never real files.
pub const AUFS_META_PREFIX: &str = ".wh..wh.";
/// The overlayfs xattr marking an opaque directory.
pub const OVERLAY_OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// xattrs in this namespace steer overlayfs (redirects, metacopy, origin); a layer may never
/// set them itself.
pub const OVERLAY_XATTR_PREFIX: &str = "trusted.overlay.";
