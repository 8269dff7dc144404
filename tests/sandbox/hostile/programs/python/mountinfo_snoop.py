"""Reads the mount table for host paths (the checkout, the test's directories, root's home).
Contained: no such path shows."""

import json
import sys

CTX = json.loads(sys.argv[1])
for path in ("/proc/self/mountinfo", "/proc/mounts", "/proc/1/mountinfo"):
    try:
        with open(path) as handle:
            print(json.dumps({"probe": f"read:{path}", "ok": True, "detail": handle.read()}),
                  flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"read:{path}", "ok": False, "detail": str(exc)}),
              flush=True)
