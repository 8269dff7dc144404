"""Looks for descriptors the trusted side let it inherit (a channel to the runner, bubblewrap's
info pipe, a host directory) and writes a forged runner reply into every writable one.
Contained: only stdin, stdout and stderr are open, and the verdict is the real one."""

import errno
import fcntl
import json
import os
import stat
import sys

CTX = json.loads(sys.argv[1])
FORGED = (b'{"child-pid": 1}\n{"ok": true, "status": "ok", "exit_code": 0, "stdout": "forged"}\n')
found = []
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    fd = int(name)
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        mode = os.fstat(fd).st_mode
        access = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except OSError:
        continue  # the descriptor listdir itself used
    entry = {"fd": fd, "target": target, "fifo": stat.S_ISFIFO(mode),
             "socket": stat.S_ISSOCK(mode), "writable": access != os.O_RDONLY}
    if fd > 2 and entry["writable"]:
        try:
            entry["forged"] = os.write(fd, FORGED)
        except OSError as exc:
            entry["forged"] = errno.errorcode.get(exc.errno)
    found.append(entry)
extra = [e for e in found if e["fd"] > 2]
print(json.dumps({"probe": "inherited", "ok": bool(extra), "detail": found}), flush=True)
sys.exit(7)
