"""Leaves traps for the next run: its work files replaced by symlinks, fifos and directories
named like the next run's inputs, in /work, /tmp, /var/tmp and /dev/shm. Contained: the next
run gets a fresh work dir and its inputs, and no host file is written through a link."""

import json
import os
import sys

CTX = json.loads(sys.argv[1])
TARGET = CTX["canaries"][1]
for directory in ("/work", "/tmp", "/var/tmp", "/dev/shm"):
    for name in ("main.py", "data.txt", "Main.java", "main.c", "main.js"):
        path = os.path.join(directory, name)
        try:
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(TARGET, path)
            print(json.dumps({"probe": f"plant:{path}", "ok": True, "detail": ""}), flush=True)
        except OSError as exc:
            print(json.dumps({"probe": f"plant:{path}", "ok": False, "detail": str(exc)}),
                  flush=True)
    for name, make in (("data2.txt", os.mkfifo), ("data3.txt", os.mkdir)):
        try:
            make(os.path.join(directory, name))
        except OSError:
            pass
