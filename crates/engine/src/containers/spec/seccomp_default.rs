//! Docker's default seccomp profile as berth's own data (the allow-list of moby's
//! `profiles/seccomp`, same rules and order), expressed in the Docker profile format of
//! [`super::seccomp::Profile`] so the built-in and a user's `seccomp=/path.json` go through
//! one filter.

use oci_spec::runtime::{LinuxSeccompAction as Act, LinuxSeccompOperator as Op};

use super::seccomp::{ArchMap, Arg, Filter, Profile, Syscall};

/// Syscalls every container may make.
#[rustfmt::skip]
const ALLOWED: &[&str] = &[
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
    "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
    "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
    "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
    "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
    "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
    "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
    "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
    "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
    "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
];

/// `CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
/// CLONE_NEWCGROUP`: clone with any of these needs CAP_SYS_ADMIN.
const CLONE_NAMESPACE_FLAGS: u64 = 0x7E02_0000;
const AF_ALG: u64 = 38;
const AF_VSOCK: u64 = 40;
const EPERM: u32 = 1;
const ENOSYS: u32 = 38;

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| (*s).to_string()).collect()
}

fn allow(n: &[&str]) -> Syscall {
    Syscall {
        names: names(n),
        action: Act::ScmpActAllow,
        ..Syscall::default()
    }
}

fn arg(index: usize, value: u64, value_two: u64, op: Op) -> Arg {
    Arg {
        index,
        value,
        value_two,
        op,
    }
}

fn allow_if(n: &[&str], args: Vec<Arg>) -> Syscall {
    Syscall { args, ..allow(n) }
}

fn with_caps(n: &[&str], caps: &[&str]) -> Syscall {
    Syscall {
        includes: Some(Filter {
            caps: names(caps),
            ..Filter::default()
        }),
        ..allow(n)
    }
}

fn on_arches(n: &[&str], arches: &[&str]) -> Syscall {
    Syscall {
        includes: Some(Filter {
            arches: names(arches),
            ..Filter::default()
        }),
        ..allow(n)
    }
}

fn arch(a: &str, subs: &[&str]) -> ArchMap {
    ArchMap {
        architecture: a.to_string(),
        sub_architectures: names(subs),
    }
}

/// Docker's default profile: deny (EPERM) what is not listed.
pub fn default_profile() -> Profile {
    let mut syscalls = vec![
        allow(ALLOWED),
        Syscall {
            includes: Some(Filter {
                min_kernel: Some("4.8".into()),
                ..Filter::default()
            }),
            ..allow(&["process_vm_readv", "process_vm_writev", "ptrace"])
        },
        // socket(2) for every address family but AF_ALG and AF_VSOCK.
        allow_if(&["socket"], vec![arg(0, AF_ALG, 0, Op::ScmpCmpLt)]),
        allow_if(&["socket"], vec![arg(0, AF_ALG + 1, 0, Op::ScmpCmpEq)]),
        allow_if(&["socket"], vec![arg(0, AF_VSOCK, 0, Op::ScmpCmpGt)]),
    ];
    // personality(2) only for the harmless personas.
    for persona in [0x0, 0x0008, 0x20000, 0x20008, 0xffff_ffff] {
        syscalls.push(allow_if(
            &["personality"],
            vec![arg(0, persona, 0, Op::ScmpCmpEq)],
        ));
    }
    syscalls.extend([
        on_arches(&["sync_file_range2", "swapcontext"], &["ppc64le"]),
        on_arches(
            &[
                "arm_fadvise64_64",
                "arm_sync_file_range",
                "sync_file_range2",
                "breakpoint",
                "cacheflush",
                "set_tls",
            ],
            &["arm", "arm64"],
        ),
        on_arches(&["arch_prctl"], &["amd64", "x32"]),
        on_arches(&["modify_ldt"], &["amd64", "x32", "x86"]),
        on_arches(
            &[
                "s390_pci_mmio_read",
                "s390_pci_mmio_write",
                "s390_runtime_instr",
            ],
            &["s390", "s390x"],
        ),
        on_arches(&["riscv_flush_icache"], &["riscv64"]),
        with_caps(&["open_by_handle_at"], &["CAP_DAC_READ_SEARCH"]),
        with_caps(
            &[
                "bpf",
                "clone",
                "clone3",
                "fanotify_init",
                "fsconfig",
                "fsmount",
                "fsopen",
                "fspick",
                "lookup_dcookie",
                "lsm_get_self_attr",
                "lsm_list_modules",
                "lsm_set_self_attr",
                "mount",
                "mount_setattr",
                "move_mount",
                "open_tree",
                "perf_event_open",
                "quotactl",
                "quotactl_fd",
                "setdomainname",
                "sethostname",
                "setns",
                "syslog",
                "umount",
                "umount2",
                "unshare",
            ],
            &["CAP_SYS_ADMIN"],
        ),
        // Without CAP_SYS_ADMIN: clone without namespace flags (s390 swaps the arguments).
        Syscall {
            excludes: Some(Filter {
                caps: names(&["CAP_SYS_ADMIN"]),
                arches: names(&["s390", "s390x"]),
                ..Filter::default()
            }),
            ..allow_if(
                &["clone"],
                vec![arg(0, CLONE_NAMESPACE_FLAGS, 0, Op::ScmpCmpMaskedEq)],
            )
        },
        Syscall {
            comment: "s390 parameter ordering for clone is different".into(),
            includes: Some(Filter {
                arches: names(&["s390", "s390x"]),
                ..Filter::default()
            }),
            excludes: Some(Filter {
                caps: names(&["CAP_SYS_ADMIN"]),
                ..Filter::default()
            }),
            ..allow_if(
                &["clone"],
                vec![arg(1, CLONE_NAMESPACE_FLAGS, 0, Op::ScmpCmpMaskedEq)],
            )
        },
        // clone3's flags live in memory seccomp cannot read: make libc fall back to clone.
        Syscall {
            names: names(&["clone3"]),
            action: Act::ScmpActErrno,
            errno_ret: Some(ENOSYS),
            excludes: Some(Filter {
                caps: names(&["CAP_SYS_ADMIN"]),
                ..Filter::default()
            }),
            ..Syscall::default()
        },
        with_caps(&["reboot"], &["CAP_SYS_BOOT"]),
        with_caps(&["chroot"], &["CAP_SYS_CHROOT"]),
        with_caps(
            &["delete_module", "init_module", "finit_module"],
            &["CAP_SYS_MODULE"],
        ),
        with_caps(&["acct"], &["CAP_SYS_PACCT"]),
        with_caps(
            &[
                "kcmp",
                "pidfd_getfd",
                "process_madvise",
                "process_vm_readv",
                "process_vm_writev",
                "ptrace",
            ],
            &["CAP_SYS_PTRACE"],
        ),
        with_caps(&["iopl", "ioperm"], &["CAP_SYS_RAWIO"]),
        with_caps(
            &["settimeofday", "stime", "clock_settime", "clock_settime64"],
            &["CAP_SYS_TIME"],
        ),
        with_caps(&["vhangup"], &["CAP_SYS_TTY_CONFIG"]),
        with_caps(
            &[
                "get_mempolicy",
                "mbind",
                "set_mempolicy",
                "set_mempolicy_home_node",
            ],
            &["CAP_SYS_NICE"],
        ),
        with_caps(&["syslog"], &["CAP_SYSLOG"]),
        with_caps(&["bpf"], &["CAP_BPF"]),
        with_caps(&["perf_event_open"], &["CAP_PERFMON"]),
    ]);
    Profile {
        default_action: Some(Act::ScmpActErrno),
        default_errno_ret: Some(EPERM),
        arch_map: vec![
            arch("SCMP_ARCH_X86_64", &["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            arch("SCMP_ARCH_AARCH64", &["SCMP_ARCH_ARM"]),
            arch(
                "SCMP_ARCH_MIPS64",
                &["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"],
            ),
            arch(
                "SCMP_ARCH_MIPS64N32",
                &["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"],
            ),
            arch(
                "SCMP_ARCH_MIPSEL64",
                &["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"],
            ),
            arch(
                "SCMP_ARCH_MIPSEL64N32",
                &["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"],
            ),
            arch("SCMP_ARCH_S390X", &["SCMP_ARCH_S390"]),
            arch("SCMP_ARCH_RISCV64", &[]),
            arch("SCMP_ARCH_LOONGARCH64", &[]),
        ],
        syscalls,
        ..Profile::default()
    }
}
