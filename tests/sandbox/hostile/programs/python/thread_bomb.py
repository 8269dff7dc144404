"""Thread bomb: start sleeping threads until refused. Contained: threads count against the
process limit, so only a few dozen start."""

import json
import os
import sys
import threading
import time

CTX = json.loads(sys.argv[1])
count = 0
error = ""
while count < 5000:
    try:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    except (RuntimeError, MemoryError) as exc:
        error = str(exc)
        break
    count += 1
print(json.dumps({"probe": "threads", "ok": count >= 5000,
                  "detail": {"count": count, "error": error}}), flush=True)
os._exit(0)
