"""Becomes root or another uid: setuid/setgid/setresuid(0), setgroups([0]), setfsuid(0),
another slot's uid, capset, raising hard limits; reports its capabilities and whether
setuid binaries could elevate it. Contained: every change is refused, no capability, no new
privileges."""

import ctypes
import errno
import json
import os
import resource
import sys

CTX = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def attempt(name, call):
    try:
        call()
        report(name, True, {"uid": os.getresuid(), "gid": os.getresgid()})
    except (OSError, ValueError) as exc:
        report(name, False, errno.errorcode.get(getattr(exc, "errno", None) or 0, str(exc)))


me = os.getuid()
attempt("setuid:0", lambda: os.setuid(0))
attempt("setgid:0", lambda: os.setgid(0))
attempt("setresuid:0", lambda: os.setresuid(0, 0, 0))
attempt("seteuid:0", lambda: os.seteuid(0))
attempt("setgroups:0", lambda: os.setgroups([0]))
attempt("setuid:other", lambda: os.setuid(me + 1))
attempt("setuid:1999", lambda: os.setuid(1999))
attempt("raise_nproc", lambda: resource.setrlimit(
    resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)))
attempt("raise_nofile", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20)))
libc.setfsuid(0)
previous = libc.setfsuid(-1)  # returns the current fsuid without changing it (-1 is invalid)
report("setfsuid:0", previous == 0, previous)
header = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)(*([0xFFFFFFFF] * 6))
result = libc.capset(header, data)
report("capset:all", result == 0, errno.errorcode.get(ctypes.get_errno()))
with open("/proc/self/status") as handle:
    status = dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
report("status", False, {k: status.get(k) for k in (
    "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
    "Seccomp")})
setuid_files = []
for directory in ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib/openssh",
                  "/usr/lib/dbus-1.0"):
    try:
        for entry in os.scandir(directory):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mode & 0o4000:
                setuid_files.append(entry.path)
    except OSError:
        continue
report("setuid_files", bool(setuid_files), sorted(set(setuid_files)))
