"""The next run after a planted trap: prints its inputs as it sees them."""

import json
import sys

CTX = json.loads(sys.argv[1])
for name in ("data.txt", "data2.txt", "data3.txt"):
    with open(name) as handle:
        print(json.dumps({"probe": f"input:{name}", "ok": True, "detail": handle.read()}),
              flush=True)
