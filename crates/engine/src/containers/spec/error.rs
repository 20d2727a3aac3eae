//! [`SpecError`]: why a container's config could not become an OCI spec. Messages follow
//! Docker's wording where Docker has one, so a user can search for them, and name the
//! value to fix.

use std::path::PathBuf;

/// Everything that can go wrong between Docker's config and the OCI spec.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Neither the image nor the user gave an entrypoint or a command.
    #[error("no command specified")]
    NoCommand,

    /// A `-v` string that does not have Docker's `src:dst[:mode]` shape.
    #[error("invalid volume specification: '{spec}'")]
    InvalidVolumeSpec { spec: String },

    /// A `-v` string whose parts are wrong (destination `/`, relative destination…).
    #[error("invalid volume specification: '{spec}': {reason}")]
    InvalidVolumeSpecDetail { spec: String, reason: String },

    /// A `-v` mode that is not a comma list of `ro`/`rw`, propagation, `z`/`Z`, `nocopy`,
    /// consistency.
    #[error("invalid mode: {mode}")]
    InvalidMode { mode: String },

    /// A `--mount` (or a `-v` after parsing) that Docker's rules reject.
    #[error("invalid mount config for type \"{kind}\": {reason}")]
    MountConfig { kind: String, reason: String },

    /// A relative `-v` source is a volume name, and this one is not a valid name.
    #[error(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \
         \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, \
         use absolute path"
    )]
    InvalidVolumeName { name: String },

    /// A one-character volume name.
    #[error("create {name}: volume name is too short, names should be at least two alphanumeric characters")]
    VolumeNameTooShort { name: String },

    /// Two mounts (`-v`, `--mount`, `--tmpfs`) with one destination.
    #[error("Duplicate mount point: {destination}")]
    DuplicateMountPoint { destination: String },

    /// A `--tmpfs` option that is neither a mount flag nor size/mode/uid/gid/nr_inodes/
    /// nr_blocks/mpol.
    #[error("invalid tmpfs option \"{option}\" (for {destination})")]
    InvalidTmpfsOption { destination: String, option: String },

    /// `-u NAME` with no such name in the image's /etc/passwd.
    #[error("unable to find user {user}: no matching entries in passwd file")]
    UserNotFound { user: String },

    /// `-u user:GROUP` or `--group-add GROUP` with no such group in the image's /etc/group.
    #[error("unable to find group {group}: no matching entries in group file")]
    GroupNotFound { group: String },

    /// A numeric uid/gid outside 0..=2^31-1.
    #[error("invalid user {spec}: uids and gids must be in range 0-2147483647")]
    IdOutOfRange { spec: String },

    /// The image's /etc/passwd or /etc/group exists but could not be read.
    #[error("reading {path} from the image: {source}")]
    ReadImageFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `--cap-add`/`--cap-drop` with a name the kernel does not know.
    #[error("unknown capability: \"{cap}\"")]
    UnknownCapability { cap: String },

    /// A `--security-opt` without `=`/`:` or with an unknown key.
    #[error("invalid --security-opt: \"{opt}\" (expected seccomp=, apparmor=, label=, no-new-privileges, systempaths=unconfined or writable-cgroups=)")]
    InvalidSecurityOpt { opt: String },

    /// `--security-opt seccomp=/path.json` that cannot be read.
    #[error("opening seccomp profile {path}: {source}")]
    SeccompProfileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A seccomp profile that is not valid JSON of Docker's profile format.
    #[error("decoding seccomp profile failed: {source}")]
    SeccompProfileParse {
        #[source]
        source: serde_json::Error,
    },

    /// A seccomp profile that parses but cannot be used.
    #[error("invalid seccomp profile: {reason}")]
    SeccompProfile { reason: String },

    /// `--ulimit` with an unknown name.
    #[error("invalid ulimit type: {name} (known: as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)")]
    UnknownUlimit { name: String },

    /// `--ulimit name=soft:hard` with soft > hard or a negative value.
    #[error(
        "invalid ulimit {name}: soft limit {soft} must be between 0 and the hard limit {hard}"
    )]
    InvalidUlimit { name: String, soft: i64, hard: i64 },

    /// `--cpu-shares` below zero.
    #[error("invalid CPU shares ({shares}): value must be a positive integer")]
    InvalidCpuShares { shares: i64 },

    /// `--device PATH` that is neither a device node nor a directory holding some.
    #[error("error gathering device information while adding custom device \"{path}\": {reason}")]
    Device { path: PathBuf, reason: String },

    /// Walking the host's /dev for `--privileged` failed.
    #[error("listing host devices under {path}: {source}")]
    HostDevices {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An oci-spec builder refused a value (a bug in berth: every field is set from
    /// validated input).
    #[error("building the OCI spec: {0}")]
    Oci(#[from] oci_spec::OciSpecError),

    /// The rootfs mount annotation could not be encoded.
    #[error("encoding the rootfs mount annotation: {0}")]
    Annotation(#[source] serde_json::Error),
}
