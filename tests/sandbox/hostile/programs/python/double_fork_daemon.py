"""Double-fork daemon: the grandchild leaves the session, closes its output, ignores the
polite signals, waits for the run to end, then drops files and burns CPU. Contained: it dies
with the run; nothing appears on the host later."""

import json
import os
import signal
import sys
import time

CTX = json.loads(sys.argv[1])
LATE = [f"{d}/{CTX['marker']}-late" for d in ("/tmp", "/var/tmp", "/dev/shm", "/work")]

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(number, signal.SIG_IGN)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        time.sleep(1.0)
        for path in LATE:
            try:
                with open(path, "w") as handle:
                    handle.write("late")
            except OSError:
                pass
        while True:
            pass
    os._exit(0)
os.wait()
print(json.dumps({"probe": "parent_exits", "ok": True, "detail": ""}), flush=True)
