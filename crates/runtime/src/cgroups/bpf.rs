//! The one place with `unsafe` in `runtime::cgroups`: the bpf(2) syscall, which neither nix
//! nor libc wrap. Two commands are used: BPF_PROG_LOAD and BPF_PROG_ATTACH.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::v2::devicefilter::Insn;

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;

/// The BPF_PROG_LOAD part of `union bpf_attr` (include/uapi/linux/bpf.h), padded with zeroes;
/// the kernel requires every byte past the fields it knows for the command to be zero.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
    _pad: [u64; 8],
}

/// The BPF_PROG_ATTACH part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
    _pad: [u32; 11],
}

/// Load a cgroup device program; on failure returns errno and the verifier log.
pub(crate) fn load_device_program(insns: &[Insn]) -> Result<OwnedFd, (nix::Error, String)> {
    let license = b"Apache\0";
    let mut log = vec![0u8; 64 * 1024];
    let cnt = u32::try_from(insns.len()).map_err(|_| (nix::Error::E2BIG, String::new()))?;
    let mut name = [0u8; 16];
    name[..5].copy_from_slice(b"berth");
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: cnt,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        prog_name: name,
        expected_attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    for with_log in [false, true] {
        if with_log {
            attr.log_level = 1;
            attr.log_size = u32::try_from(log.len()).unwrap_or(0);
            attr.log_buf = log.as_mut_ptr() as u64;
        }
        // SAFETY: `attr` is a live, zero-padded bpf_attr whose size we pass; `insns`,
        // `license` and `log` outlive the call and the kernel reads at most insn_cnt
        // instructions / writes at most log_size bytes. No memory is retained after return.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_PROG_LOAD,
                &attr as *const ProgLoadAttr,
                std::mem::size_of::<ProgLoadAttr>(),
            )
        };
        if ret >= 0 {
            let Ok(fd) = i32::try_from(ret) else {
                return Err((nix::Error::EBADF, String::new()));
            };
            // SAFETY: the kernel just returned `fd` as a new program fd that nothing else owns.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let err = nix::Error::last();
        if with_log {
            let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
            return Err((err, String::from_utf8_lossy(&log[..end]).into_owned()));
        }
    }
    Err((nix::Error::EINVAL, String::new()))
}

/// Attach `prog` to the cgroup directory `cgroup` as its device program. Without
/// BPF_F_ALLOW_MULTI / OVERRIDE, an earlier berth program on the same cgroup is replaced
/// (so `update` works) and nested cgroups cannot loosen the policy.
pub(crate) fn attach_device_program(
    cgroup: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
) -> Result<(), nix::Error> {
    let attr = ProgAttachAttr {
        target_fd: u32::try_from(cgroup.as_raw_fd()).map_err(|_| nix::Error::EBADF)?,
        attach_bpf_fd: u32::try_from(prog.as_raw_fd()).map_err(|_| nix::Error::EBADF)?,
        attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    // SAFETY: `attr` is a live, zero-padded bpf_attr of the size passed; both fds are
    // borrowed, open for the whole call, and the kernel takes its own references.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_ATTACH,
            &attr as *const ProgAttachAttr,
            std::mem::size_of::<ProgAttachAttr>(),
        )
    };
    if ret < 0 {
        return Err(nix::Error::last());
    }
    Ok(())
}
