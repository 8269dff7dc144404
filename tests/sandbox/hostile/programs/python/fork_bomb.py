"""Fork bomb: every process forks forever. Contained: the process limit stops the growth,
the run ends on a time limit or an error, and no process survives it."""

import json
import os
import sys

CTX = json.loads(sys.argv[1])
print(json.dumps({"probe": "start", "ok": True, "detail": os.getpid()}), flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
