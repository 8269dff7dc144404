"""Infinite loop. Contained: time_limit once the CPU limit is spent."""

import json
import sys

CTX = json.loads(sys.argv[1])
print(json.dumps({"probe": "start", "ok": True, "detail": ""}), flush=True)
while True:
    pass
