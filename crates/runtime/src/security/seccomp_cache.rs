//! The compiled-seccomp cache: libseccomp needs milliseconds to turn Docker's profile
//! into BPF, on every container start; the program only depends on the profile, the
//! architecture, libseccomp and the kernel, so it is kept in a file named by a hash of
//! those and loaded as is with seccomp(2).
//!
//! File (`<dir>/<key hex>.bpf`): `MAGIC`, the 32-byte key, the instruction count and
//! the length of the skipped-names list (u32 LE each), the program, the names
//! (newline-separated), then SHA-256 of everything before. A file is used only if it
//! is a regular file owned by this user, not writable by group or others, and every
//! part checks out; anything else is a miss and is replaced. Written atomically
//! (temporary file, then rename), so a reader never sees half a file; a crash leaves at
//! worst a stale temporary file, which the next write of the key replaces.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::LinuxSeccomp;
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"BRTHBPF1";
const KEY_LEN: usize = 32;
const HEADER: usize = MAGIC.len() + KEY_LEN + 4 + 4;
const DIGEST_LEN: usize = 32;
/// Larger than any program the kernel accepts (4096 instructions) plus names.
const MAX_FILE: u64 = 1 << 20;

pub type Key = [u8; KEY_LEN];

/// The cache key: everything the generated program depends on.
pub fn key(s: &LinuxSeccomp) -> Key {
    let mut h = Sha256::new();
    h.update(b"berth seccomp cache v2 (binary tree)\0");
    // Field order is fixed by the struct: the same profile always serialises alike.
    h.update(serde_json::to_vec(s).unwrap_or_default());
    h.update(b"\0");
    h.update(std::env::consts::ARCH.as_bytes());
    h.update(b"\0");
    if let Ok(v) = libseccomp::ScmpVersion::current() {
        h.update(format!("{}.{}.{}", v.major, v.minor, v.micro).as_bytes());
    }
    h.update(b"\0");
    h.update(libseccomp::get_api().to_le_bytes());
    h.update(b"\0");
    if let Ok(u) = nix::sys::utsname::uname() {
        h.update(u.release().as_encoded_bytes());
        h.update(b"\0");
        h.update(u.version().as_encoded_bytes());
    }
    h.finalize().into()
}

fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn path(dir: &Path, key: &Key) -> PathBuf {
    dir.join(format!("{}.bpf", hex(key)))
}

/// The file's bytes for `key`.
pub fn encode(key: &Key, program: &[u8], skipped: &[String]) -> Option<Vec<u8>> {
    let names = skipped.join("\n").into_bytes();
    let mut out = Vec::with_capacity(HEADER + program.len() + names.len() + DIGEST_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key);
    out.extend_from_slice(&u32::try_from(program.len() / 8).ok()?.to_le_bytes());
    out.extend_from_slice(&u32::try_from(names.len()).ok()?.to_le_bytes());
    out.extend_from_slice(program);
    out.extend_from_slice(&names);
    let digest: [u8; DIGEST_LEN] = Sha256::digest(&out).into();
    out.extend_from_slice(&digest);
    Some(out)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(bytes)).ok()
}

/// The program bytes and skipped names in `b`, if it is a whole, intact file for `key`.
pub fn decode(b: &[u8], key: &Key) -> Option<(Vec<u8>, Vec<String>)> {
    let body_len = b.len().checked_sub(DIGEST_LEN)?;
    let (body, digest) = b.split_at(body_len);
    if body.len() < HEADER || body.get(..MAGIC.len())? != MAGIC {
        return None;
    }
    if body.get(MAGIC.len()..MAGIC.len() + KEY_LEN)? != key {
        return None;
    }
    let insns = u32_at(body, MAGIC.len() + KEY_LEN)?;
    let names_len = u32_at(body, MAGIC.len() + KEY_LEN + 4)?;
    let prog_len = insns.checked_mul(8)?;
    if HEADER.checked_add(prog_len)?.checked_add(names_len)? != body.len() {
        return None;
    }
    let want: [u8; DIGEST_LEN] = Sha256::digest(body).into();
    if want.as_slice() != digest {
        return None;
    }
    let program = body.get(HEADER..HEADER + prog_len)?.to_vec();
    let names = std::str::from_utf8(body.get(HEADER + prog_len..)?).ok()?;
    let skipped = names
        .split('\n')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    Some((program, skipped))
}

/// The cached program for `key`, if a trustworthy, intact copy exists.
pub fn read(dir: &Path, key: &Key) -> Option<(Vec<u8>, Vec<String>)> {
    let p = path(dir, key);
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&p)
        .ok()?;
    let m = f.metadata().ok()?;
    let trusted = m.file_type().is_file()
        && m.uid() == nix::unistd::geteuid().as_raw()
        && m.mode() & 0o022 == 0
        && m.len() <= MAX_FILE;
    if !trusted {
        tracing::warn!(
            "seccomp cache {} is not a private file of this user; ignored",
            p.display()
        );
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len()).unwrap_or(0));
    f.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    let found = decode(&bytes, key);
    if found.is_none() {
        tracing::warn!("seccomp cache {} is damaged; recompiling", p.display());
    }
    found
}

/// Stores the program for `key` (temporary file + rename).
pub fn write(dir: &Path, key: &Key, program: &[u8], skipped: &[String]) -> std::io::Result<()> {
    let bytes = encode(key, program, skipped)
        .ok_or_else(|| std::io::Error::other("seccomp program too large to cache"))?;
    // The state root itself may not exist yet (first container of the root).
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let final_path = path(dir, key);
    let tmp = dir.join(format!(".{}.{}.tmp", hex(key), std::process::id()));
    let res = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(&bytes)?;
        drop(f);
        std::fs::rename(&tmp, &final_path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_damage_is_rejected() {
        let key = [7u8; KEY_LEN];
        let program: Vec<u8> = (0..64).collect();
        let skipped = vec!["a".to_owned(), "b".to_owned()];
        let bytes = encode(&key, &program, &skipped).unwrap();
        assert_eq!(decode(&bytes, &key), Some((program.clone(), skipped)));
        assert_eq!(decode(&bytes, &[8u8; KEY_LEN]), None, "another key");
        for len in 0..bytes.len() {
            assert_eq!(decode(&bytes[..len], &key), None, "truncated to {len}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert_eq!(decode(&bad, &key), None, "byte {i} flipped");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, &key), None);
    }

    #[test]
    fn files_writable_by_others_are_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = [1u8; KEY_LEN];
        write(dir.path(), &key, &[0u8; 8], &[]).unwrap();
        let p = path(dir.path(), &key);
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(read(dir.path(), &key).is_some());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(read(dir.path(), &key).is_none());
        // A symlink in its place is not followed.
        std::fs::remove_file(&p).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, encode(&key, &[0u8; 8], &[]).unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &p).unwrap();
        assert!(read(dir.path(), &key).is_none());
        // No temporary file is left behind.
        std::fs::remove_file(&p).unwrap();
        write(dir.path(), &key, &[0u8; 8], &[]).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}
