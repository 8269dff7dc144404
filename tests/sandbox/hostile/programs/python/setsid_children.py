"""Busy children in their own sessions, ignoring signals, one of them holding stdout open.
Contained: the run ends by the wall limit at the latest and none of them survives it."""

import json
import os
import signal
import subprocess
import sys
import time

CTX = json.loads(sys.argv[1])
for _ in range(3):
    subprocess.Popen(["/bin/sh", "-c", "trap '' HUP TERM INT; while :; do :; done",
                      CTX["marker"]], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(number, signal.SIG_IGN)
    while True:
        try:
            print("still here", flush=True)
        except OSError:
            pass
        time.sleep(0.2)
print(json.dumps({"probe": "spawned", "ok": True, "detail": ""}), flush=True)
os._exit(0)
