"""Mounts: a tmpfs, a bind of /, a read-write remount of / and /usr, unmounting the work
dir, the new mount API, and the setuid mount(8). Contained: every one is refused."""

import ctypes
import errno
import json
import os
import subprocess
import sys

CTX = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
MS_BIND, MS_REMOUNT, MS_REC = 0x1000, 0x20, 0x4000
os.makedirs("/work/m", exist_ok=True)
ATTEMPTS = {
    "tmpfs": (b"none", b"/work/m", b"tmpfs", 0),
    "bind_root": (b"/", b"/work/m", None, MS_BIND | MS_REC),
    "remount_root_rw": (None, b"/", None, MS_REMOUNT | MS_BIND),
    "remount_usr_rw": (None, b"/usr", None, MS_REMOUNT | MS_BIND),
    "proc": (b"proc", b"/work/m", b"proc", 0),
}


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


for name, (source, target, fstype, flags) in ATTEMPTS.items():
    result = libc.mount(source, target, fstype, ctypes.c_ulong(flags), None)
    report(f"mount:{name}", result == 0, errno.errorcode.get(ctypes.get_errno()))
result = libc.umount2(b"/work", 2)
report("umount:/work", result == 0, errno.errorcode.get(ctypes.get_errno()))
libc.syscall.restype = ctypes.c_long
result = libc.syscall(ctypes.c_long(430), b"tmpfs", ctypes.c_long(0))  # fsopen
report("fsopen", result >= 0, errno.errorcode.get(ctypes.get_errno()))
try:
    done = subprocess.run(["mount", "-t", "tmpfs", "none", "/work/m"], capture_output=True,
                          timeout=5)
    report("mount(8)", done.returncode == 0, done.stderr.decode("latin-1")[-200:])
except (OSError, subprocess.SubprocessError) as exc:
    report("mount(8)", False, str(exc))
