"""Not hostile: the bystander run of the kill tests. Sleeps, then says it survived."""

import json
import sys
import time

CTX = json.loads(sys.argv[1])
time.sleep(float(CTX.get("sleep", 1.5)))
print(json.dumps({"probe": "survived", "ok": True, "detail": ""}), flush=True)
