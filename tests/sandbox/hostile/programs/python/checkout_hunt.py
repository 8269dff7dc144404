"""Walks the visible file system for the host's checkout and planted canaries. Contained: the
work dir holds only the run's files and nothing of the host's checkout is anywhere."""

import json
import os
import sys

CTX = json.loads(sys.argv[1])
WANTED = {"pyproject.toml", "ARCHITECTURE.md", "STYLE.md", "alembic.ini", ".venv",
          "exam_engine", "item_bank"}
SKIPPED = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin"}
found, canaries, seen = [], [], 0
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in SKIPPED
               and root.count("/") < 6]
    for entry in dirs + files:
        seen += 1
        if entry in WANTED:
            found.append(os.path.join(root, entry))
        if "ardoise-canary" in entry:
            path = os.path.join(root, entry)
            try:
                with open(path) as handle:
                    canaries.append([path, handle.read(200)])
            except OSError as exc:
                canaries.append([path, str(exc)])
    if seen > 50000:
        break
print(json.dumps({"probe": "found", "ok": bool(found), "detail": found[:100]}), flush=True)
print(json.dumps({"probe": "canaries", "ok": bool(canaries), "detail": canaries}), flush=True)
print(json.dumps({"probe": "work", "ok": True, "detail": sorted(os.listdir("/work"))}),
      flush=True)
print(json.dumps({"probe": "seen", "ok": True, "detail": seen}), flush=True)
