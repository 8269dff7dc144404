"""kill(-1, SIGKILL): every process it may signal, while another run works beside it.
Contained: only its own processes die; the other run finishes."""

import errno
import json
import os
import signal
import sys
import time

CTX = json.loads(sys.argv[1])
time.sleep(0.3)
try:
    os.kill(-1, signal.SIGKILL)
    print(json.dumps({"probe": "kill-1", "ok": True, "detail": ""}), flush=True)
except OSError as exc:
    print(json.dumps({"probe": "kill-1", "ok": False, "detail": errno.errorcode.get(exc.errno)}),
          flush=True)
