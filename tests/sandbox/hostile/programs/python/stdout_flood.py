"""Floods stdout. Contained: output_limit, the output cut at the limit."""

import json
import sys

CTX = json.loads(sys.argv[1])
chunk = b"A" * 65536
while True:
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
