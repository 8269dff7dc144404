"""Sleeps past the wall limit without using CPU. Contained: time_limit at the wall limit."""

import json
import sys
import time

CTX = json.loads(sys.argv[1])
print(json.dumps({"probe": "start", "ok": True, "detail": ""}), flush=True)
time.sleep(3600)
print(json.dumps({"probe": "woke", "ok": True, "detail": ""}), flush=True)
