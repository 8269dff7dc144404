"""Lists /proc for other processes: the host's, other runs', a host helper holding a secret
in its command line and environment. Contained: only the run's own processes are visible."""

import json
import os
import sys

CTX = json.loads(sys.argv[1])


def read(path, size=4096):
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return None


pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
uids = set()
for pid in pids:
    status = read(f"/proc/{pid}/status") or b""
    for line in status.decode("latin-1").splitlines():
        if line.startswith("Uid:"):
            uids.add(int(line.split()[1]))
    cmdline = read(f"/proc/{pid}/cmdline") or b""
    if b"ardoise-helper" in cmdline:
        environ = read(f"/proc/{pid}/environ")
        print(json.dumps({"probe": "helper", "ok": True, "detail": {
            "pid": pid, "cmdline": cmdline.decode("latin-1"),
            "environ": environ.decode("latin-1") if environ else None}}), flush=True)
print(json.dumps({"probe": "visible", "ok": True,
                  "detail": {"count": len(pids), "uids": sorted(uids)}}), flush=True)
helper = CTX["helper_pid"]
print(json.dumps({"probe": "helper_pid", "ok": read(f"/proc/{helper}/environ") is not None,
                  "detail": (read(f"/proc/{helper}/cmdline") or b"").decode("latin-1")}),
      flush=True)
environ = read("/proc/1/environ")
stat = (read("/proc/1/stat") or b")").decode("latin-1").rsplit(")", 1)[1].split()
print(json.dumps({"probe": "pid1", "ok": environ is not None, "detail": {
    "environ_bytes": len(environ) if environ else None,
    "starttime": stat[19] if len(stat) > 19 else None}}), flush=True)
