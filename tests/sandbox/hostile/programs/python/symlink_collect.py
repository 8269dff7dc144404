"""Plants symlinks named as the outputs the trusted side collects, pointing at host files
(passwd, shadow, a canary, environments). Contained: no link is followed; none comes back."""

import json
import os
import sys

CTX = json.loads(sys.argv[1])
LINKS = {"out.txt": "/etc/passwd", "canary.txt": CTX["canaries"][1], "shadow.txt": "/etc/shadow",
         "environ.txt": "/proc/self/environ", "up.txt": "../../../../../../etc/passwd",
         "pid1.txt": "/proc/1/environ", "checkout.txt": CTX["checkout"] + "/pyproject.toml"}
for name, target in LINKS.items():
    try:
        os.symlink(target, name)
        print(json.dumps({"probe": f"symlink:{name}", "ok": True, "detail": target}), flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"symlink:{name}", "ok": False, "detail": str(exc)}),
              flush=True)
with open("plain.txt", "w") as handle:
    handle.write("plain")
