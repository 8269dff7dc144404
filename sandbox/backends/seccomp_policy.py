"""The seccomp filter of the process backend: everything a program needs, nothing that
reaches the kernel's rarely exercised corners or the machinery of the sandbox itself."""

from __future__ import annotations

import errno
import os
import socket
from functools import lru_cache

import pyseccomp as sc

#: System calls no student program needs; refused with EPERM so the program sees an error.
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    "unshare", "setns",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "fanotify_init", "open_by_handle_at", "name_to_handle_at",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm", "lookup_dcookie", "nfsservctl", "uselib", "ustat", "sysfs",
    "personality", "mbind", "migrate_pages", "move_pages", "set_mempolicy",
)

#: Socket families a program may open: local sockets and IP (there is no route out anyway).
ALLOWED_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6)

#: Namespace flags a clone must not carry (threads and forks never need them); from
#: <linux/sched.h>, which Python 3.11's ``os`` does not expose.
CLONE_NAMESPACES = (0x00020000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                    0x02000000)  # NEWNS NEWUTS NEWIPC NEWUSER NEWPID NEWNET NEWCGROUP


def build_filter() -> sc.SyscallFilter:
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):
            continue  # not a system call on this architecture
    # clone3 passes its flags in memory a filter cannot read: make libc fall back to clone.
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for flag in CLONE_NAMESPACES:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # Only the families above: no packet, netlink-route tricks, bluetooth, vsock...
    for family in range(0, 46):
        if family not in ALLOWED_FAMILIES and family != socket.AF_NETLINK:
            flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.EQ, family))
    flt.add_rule(sc.ERRNO(errno.EPERM), "socket",
                 sc.Arg(1, sc.MASKED_EQ, 0xF, socket.SOCK_RAW))
    return flt


@lru_cache(maxsize=1)
def filter_program() -> bytes:
    """The compiled BPF program, as bubblewrap's ``--seccomp`` expects it."""
    fd = os.memfd_create("ardoise-seccomp-build", os.MFD_CLOEXEC)
    with open(fd, "w+b") as sink:
        build_filter().export_bpf(sink)
        sink.seek(0)
        return sink.read()


def filter_fd() -> int:
    """A fresh, inheritable descriptor holding the filter, positioned at its start."""
    fd = os.memfd_create("ardoise-seccomp", 0)
    os.write(fd, filter_program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
