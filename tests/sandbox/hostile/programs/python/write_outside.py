"""Tries to create a file in every directory outside the work dir and to open host files and
kernel knobs for writing (opened only, never written). Contained: the root is read-only, no
host file or kernel setting is writable, and nothing appears on the host."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
DIRS = ["/", "/tmp", "/var/tmp", "/dev/shm", "/dev", "/etc", "/usr", "/usr/local/bin",
        "/usr/lib", "/bin", "/root", "/home", "/opt", "/run", "/var", "/srv", "/mnt", "/boot",
        "/proc", "/sys", "/work/..", CTX["checkout"], CTX["tmp_path"]]
EXISTING = ["/etc/passwd", "/etc/hosts", "/etc/ld.so.cache", "/usr/bin/python3", "/bin/sh",
            "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/sys/kernel/core_pattern",
            "/proc/sys/vm/overcommit_memory", "/proc/sys/kernel/hostname", "/proc/sysrq-trigger",
            "/proc/sys/fs/protected_symlinks", "/sys/kernel/mm/transparent_hugepage/enabled",
            *CTX["canaries"]]


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def name(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))


for directory in DIRS:
    path = os.path.join(directory, CTX["marker"])
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        os.write(fd, b"escaped\n")
        os.close(fd)
        report(f"create:{directory}", True, path)
    except OSError as exc:
        report(f"create:{directory}", False, name(exc))
for path in EXISTING:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        report(f"open_for_write:{path}", True)
    except OSError as exc:
        report(f"open_for_write:{path}", False, name(exc))
try:
    with open("/proc/self/oom_score_adj", "w") as handle:
        handle.write("-1000")
    report("oom_score_adj:-1000", True)
except OSError as exc:
    report("oom_score_adj:-1000", False, name(exc))
