"""One huge allocation at once: 4 GiB, touched immediately. Contained: refused
(MemoryError) or killed for memory; never granted."""

import json
import sys

CTX = json.loads(sys.argv[1])
print(json.dumps({"probe": "start", "ok": True, "detail": ""}), flush=True)
block = bytearray(b"\x01") * (4 << 30)
print(json.dumps({"probe": "allocated", "ok": True, "detail": len(block)}), flush=True)
