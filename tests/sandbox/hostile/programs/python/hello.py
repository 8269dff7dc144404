"""Not hostile: proves the backend still runs code after a hostile run."""

import json
import sys

CTX = json.loads(sys.argv[1])
print(json.dumps({"probe": "hello", "ok": True, "detail": sys.version_info[:2]}), flush=True)
