"""Creates namespaces: a user namespace (root inside, and more kernel to attack), mount, net,
pid namespaces; by unshare(2), by unshare(1) and by a nested bubblewrap. Contained: every
one is refused."""

import ctypes
import errno
import json
import os
import subprocess
import sys

CTX = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
FLAGS = {"user": 0x10000000, "mount": 0x00020000, "net": 0x40000000, "pid": 0x20000000,
         "ipc": 0x08000000, "uts": 0x04000000, "cgroup": 0x02000000,
         "user+mount": 0x10000000 | 0x00020000}


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


for name, flag in FLAGS.items():
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        result = libc.unshare(ctypes.c_int(flag))
        os.write(write_end, json.dumps([result, ctypes.get_errno()]).encode())
        os._exit(0)
    os.close(write_end)
    data = os.read(read_end, 100)
    os.close(read_end)
    os.waitpid(child, 0)
    result, err = json.loads(data) if data else (-1, 0)
    report(f"unshare:{name}", result == 0, errno.errorcode.get(err))
for command in (["unshare", "-r", "id", "-u"], ["unshare", "-Urm", "true"],
                ["bwrap", "--ro-bind", "/", "/", "--unshare-user", "--uid", "0", "id", "-u"]):
    try:
        done = subprocess.run(command, capture_output=True, timeout=5)
        report(f"exec:{command[0]} {command[1]}", done.returncode == 0,
               (done.stdout + done.stderr).decode("latin-1")[-200:])
    except (OSError, subprocess.SubprocessError) as exc:
        report(f"exec:{command[0]} {command[1]}", False, str(exc))
