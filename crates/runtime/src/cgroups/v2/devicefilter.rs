//! Translate the OCI device list into a BPF_PROG_TYPE_CGROUP_DEVICE program (the technique of
//! runc libcontainer/cgroups/devices/devicefilter.go, written from the kernel's ABI:
//! include/uapi/linux/bpf.h `struct bpf_cgroup_dev_ctx` and Documentation/bpf).
//!
//! The program gets `ctx = { u32 access_type; u32 major; u32 minor; }` where
//! `access_type = (access << 16) | type`, type 1 = block, 2 = char, access bits 1 = mknod,
//! 2 = read, 4 = write. It returns 1 to allow, 0 to deny. Rules are checked last to first,
//! so the last matching rule wins, like v1's ordered allow/deny writes; no match denies.

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use crate::cgroups::error::CgroupError;
use crate::cgroups::v1::devices::access;

/// One eBPF instruction, laid out as the kernel's `struct bpf_insn` (8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Insn {
    pub code: u8,
    /// dst_reg in the low nibble, src_reg in the high nibble.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

// Opcode pieces from include/uapi/linux/bpf_common.h and bpf.h.
const BPF_LDX: u8 = 0x01;
const BPF_ALU: u8 = 0x04;
const BPF_JMP: u8 = 0x05;
const BPF_W: u8 = 0x00;
const BPF_MEM: u8 = 0x60;
const BPF_K: u8 = 0x00;
const BPF_X: u8 = 0x08;
const BPF_AND: u8 = 0x50;
const BPF_RSH: u8 = 0x70;
const BPF_MOV: u8 = 0xb0;
const BPF_JNE: u8 = 0x50;
const BPF_EXIT: u8 = 0x90;

const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;

/// Kernel limit for unprivileged-size programs (BPF_MAXINSNS).
pub(crate) const MAX_INSNS: usize = 4096;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | (dst & 0x0f),
        off,
        imm,
    }
}
fn ldx_w(dst: u8, src: u8, off: i16) -> Insn {
    insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
}
fn and32_imm(dst: u8, imm: i32) -> Insn {
    insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
}
fn rsh32_imm(dst: u8, imm: i32) -> Insn {
    insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
}
fn mov32_imm(dst: u8, imm: i32) -> Insn {
    insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm)
}
fn mov32_reg(dst: u8, src: u8) -> Insn {
    insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
}
/// Jump to the end of the current block if dst != imm (offset patched later).
fn jne_imm(dst: u8, imm: i32) -> Insn {
    insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, -1, imm)
}
fn jne_reg(dst: u8, src: u8) -> Insn {
    insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, -1, 0)
}
fn exit() -> Insn {
    insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
}

fn to_i32(v: i64, what: &'static str) -> Result<i32, CgroupError> {
    i32::try_from(v).map_err(|_| CgroupError::InvalidValue {
        resource: what,
        reason: format!("{v} is out of range"),
    })
}

/// The instructions of one rule; `None` if the rule can never match (fifo rules: the device
/// cgroup does not govern fifos). Returns whether the rule matches everything.
fn rule_block(r: &LinuxDeviceCgroup) -> Result<Option<(Vec<Insn>, bool)>, CgroupError> {
    let typ = match r.typ().unwrap_or(LinuxDeviceType::A) {
        LinuxDeviceType::A => None,
        LinuxDeviceType::B => Some(1),
        LinuxDeviceType::C | LinuxDeviceType::U => Some(2),
        LinuxDeviceType::P => return Ok(None),
    };
    let acc = access(r)?;
    let mut bits = 0i32;
    for c in acc.chars() {
        bits |= match c {
            'm' => 1,
            'r' => 2,
            _ => 4,
        };
    }
    let major = r.major().filter(|m| *m >= 0);
    let minor = r.minor().filter(|m| *m >= 0);
    let mut b = Vec::new();
    if let Some(t) = typ {
        b.push(jne_imm(R2, t));
    }
    if bits != 7 {
        // if (access & bits) != access: the rule does not cover every requested bit.
        b.push(mov32_reg(R1, R3));
        b.push(and32_imm(R1, bits));
        b.push(jne_reg(R1, R3));
    }
    if let Some(m) = major {
        b.push(jne_imm(R4, to_i32(m, "devices[].major")?));
    }
    if let Some(m) = minor {
        b.push(jne_imm(R5, to_i32(m, "devices[].minor")?));
    }
    let catch_all = b.is_empty();
    b.push(mov32_imm(R0, i32::from(r.allow())));
    b.push(exit());
    // Patch the jumps: each skips to the first instruction after this block.
    let len = b.len();
    for (i, ins) in b.iter_mut().enumerate() {
        if ins.off == -1 && (ins.code & 0x07) == BPF_JMP {
            ins.off = i16::try_from(len - i - 1).unwrap_or(i16::MAX);
        }
    }
    Ok(Some((b, catch_all)))
}

/// Build the whole program for `rules`.
pub(crate) fn program(rules: &[LinuxDeviceCgroup]) -> Result<Vec<Insn>, CgroupError> {
    let mut p = vec![
        // R2 = type (low 16 bits of access_type), R3 = access (high 16 bits).
        ldx_w(R2, R1, 0),
        and32_imm(R2, 0xffff),
        ldx_w(R3, R1, 0),
        rsh32_imm(R3, 16),
        ldx_w(R4, R1, 4),
        ldx_w(R5, R1, 8),
    ];
    let mut ends_with_catch_all = false;
    for r in rules.iter().rev() {
        let Some((block, catch_all)) = rule_block(r)? else {
            continue;
        };
        p.extend(block);
        if catch_all {
            // Earlier rules can never be reached.
            ends_with_catch_all = true;
            break;
        }
    }
    if !ends_with_catch_all {
        p.push(mov32_imm(R0, 0));
        p.push(exit());
    }
    if p.len() > MAX_INSNS {
        return Err(CgroupError::BpfTooLarge { count: p.len() });
    }
    Ok(p)
}

/// Evaluate a program the way the kernel would, for tests: only the instructions `program`
/// emits are understood.
#[cfg(test)]
pub(crate) fn eval(p: &[Insn], typ: u32, acc: u32, major: u32, minor: u32) -> u32 {
    let ctx = [(acc << 16) | typ, major, minor];
    let mut r = [0u64; 11];
    let mut pc = 0usize;
    loop {
        let i = p[pc];
        let (dst, src) = (usize::from(i.regs & 0x0f), usize::from(i.regs >> 4));
        pc += 1;
        match i.code {
            0x61 => r[dst] = u64::from(ctx[usize::try_from(i.off).unwrap() / 4]),
            0x54 => r[dst] = (r[dst] as u32 & i.imm as u32) as u64,
            0x74 => r[dst] = ((r[dst] as u32) >> i.imm) as u64,
            0xb4 => r[dst] = i.imm as u32 as u64,
            0xbc => r[dst] = r[src] as u32 as u64,
            0x55 => {
                if r[dst] != i.imm as u32 as u64 {
                    pc += i.off as usize
                }
            }
            0x5d => {
                if r[dst] != r[src] {
                    pc += i.off as usize
                }
            }
            0x95 => return r[0] as u32,
            c => panic!("unexpected opcode {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::LinuxDeviceCgroupBuilder;

    fn rule(
        allow: bool,
        t: Option<LinuxDeviceType>,
        maj: Option<i64>,
        min: Option<i64>,
        a: &str,
    ) -> LinuxDeviceCgroup {
        let mut r = LinuxDeviceCgroupBuilder::default()
            .allow(allow)
            .access(a)
            .build()
            .unwrap();
        r.set_typ(t);
        r.set_major(maj);
        r.set_minor(min);
        r
    }

    const CHR: u32 = 2;
    const BLK: u32 = 1;
    const R: u32 = 2;
    const W: u32 = 4;
    const M: u32 = 1;

    #[test]
    fn docker_like_list() {
        let rules = vec![
            rule(false, None, None, None, "rwm"),
            rule(true, Some(LinuxDeviceType::C), Some(1), Some(3), "rwm"),
            rule(true, Some(LinuxDeviceType::C), Some(136), None, "rw"),
            rule(true, Some(LinuxDeviceType::C), None, None, "m"),
        ];
        let p = program(&rules).unwrap();
        assert_eq!(eval(&p, CHR, R | W, 1, 3), 1); // /dev/null
        assert_eq!(eval(&p, CHR, M, 1, 3), 1);
        assert_eq!(eval(&p, CHR, R, 136, 7), 1); // pts
        assert_eq!(eval(&p, CHR, M, 136, 7), 1); // mknod any char via last rule
        assert_eq!(eval(&p, CHR, R, 1, 5), 0); // /dev/zero not listed
        assert_eq!(eval(&p, BLK, R, 8, 0), 0);
        assert_eq!(eval(&p, BLK, M, 8, 0), 0);
        // The catch-all deny ends the program: no trailing default.
        assert_eq!(p.last().map(|i| i.code), Some(0x95));
    }

    #[test]
    fn later_rules_win_and_default_denies() {
        let rules = vec![
            rule(true, Some(LinuxDeviceType::B), Some(8), None, "rwm"),
            rule(false, Some(LinuxDeviceType::B), Some(8), Some(1), "w"),
        ];
        let p = program(&rules).unwrap();
        assert_eq!(eval(&p, BLK, R, 8, 1), 1);
        assert_eq!(eval(&p, BLK, W, 8, 1), 0);
        assert_eq!(eval(&p, BLK, W, 8, 2), 1);
        assert_eq!(eval(&p, CHR, R, 1, 3), 0);
        assert!(program(&[]).unwrap().len() == 8);
        assert_eq!(eval(&program(&[]).unwrap(), CHR, R, 1, 3), 0);
        let allow_all = vec![rule(true, Some(LinuxDeviceType::A), None, None, "rwm")];
        assert_eq!(eval(&program(&allow_all).unwrap(), BLK, W, 8, 0), 1);
    }
}
