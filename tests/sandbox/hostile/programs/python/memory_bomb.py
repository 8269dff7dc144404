"""Memory bomb: keep allocating and touching 8 MiB blocks. Contained: memory_limit, long
before the host notices."""

import json
import sys

CTX = json.loads(sys.argv[1])
blocks = []
while True:
    blocks.append(bytearray(b"\x01") * (8 << 20))
    if len(blocks) % 4 == 0:
        print(json.dumps({"probe": "allocated_mb", "ok": True, "detail": len(blocks) * 8}),
              flush=True)
