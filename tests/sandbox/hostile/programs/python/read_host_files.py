"""Reads host secrets: shadow files, root's home, the planted canaries, the checkout, the
host's pid 1 environment. Contained: none is readable (absent or refused)."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
CHECKOUT = CTX["checkout"]
#: Their content is printed (the test looks for the secret in it); for the others only
#: whether they could be read.
SHOWN = [*CTX["canaries"], f"{CHECKOUT}/pyproject.toml", "/work/main/pyproject.toml",
         "/work/shared/ARCHITECTURE.md", f"{CHECKOUT}/.git/config"]
HIDDEN = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/root/.bash_history",
          "/root/.ssh/id_rsa", "/root/.ssh/authorized_keys", "/root/.docker/config.json",
          "/etc/docker/key.json", "/etc/ssh/ssh_host_ed25519_key", "/var/lib/docker",
          "/proc/1/environ"]


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def read(path):
    with open(path, "rb") as handle:
        return handle.read(4096)


for path in SHOWN + HIDDEN:
    try:
        data = read(path)
        detail = data.decode("latin-1") if path in SHOWN else {"bytes": len(data)}
        report(f"read:{path}", True, detail)
    except OSError as exc:
        report(f"read:{path}", False, errno.errorcode.get(exc.errno, str(exc.errno)))
for directory in ["/root", "/home", "/work", "/", "/proc/1/root", "/proc/1/cwd", CHECKOUT,
                  os.path.dirname(CTX["canaries"][1])]:
    try:
        report(f"list:{directory}", True, sorted(os.listdir(directory))[:200])
    except OSError as exc:
        report(f"list:{directory}", False, errno.errorcode.get(exc.errno, str(exc.errno)))
try:
    with open("/proc/1/stat") as handle:
        report("pid1_starttime", True, handle.read().rsplit(")", 1)[1].split()[19])
except OSError as exc:
    report("pid1_starttime", False, errno.errorcode.get(exc.errno))
