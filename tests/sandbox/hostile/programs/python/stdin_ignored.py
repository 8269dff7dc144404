"""Never reads its (large) stdin and writes a good deal of output. Contained: the trusted
side does not deadlock feeding stdin while the program fills its output pipe."""

import json
import sys
import time

CTX = json.loads(sys.argv[1])
sys.stdout.write("B" * 32768 + "\n")
sys.stdout.flush()
sys.stderr.write("C" * 16384 + "\n")
sys.stderr.flush()
time.sleep(0.2)
print(json.dumps({"probe": "done", "ok": True, "detail": ""}), flush=True)
