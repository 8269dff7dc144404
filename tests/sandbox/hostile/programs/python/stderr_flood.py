"""Floods stderr. Contained: output_limit, the output cut at the limit."""

import json
import sys

CTX = json.loads(sys.argv[1])
chunk = b"E" * 65536
while True:
    sys.stderr.buffer.write(chunk)
    sys.stderr.buffer.flush()
