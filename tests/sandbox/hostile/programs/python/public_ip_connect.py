"""Connects to public addresses (Cloudflare, Google, Quad9) over TCP, IPv4 and IPv6.
Contained: no route out."""

import errno
import json
import socket
import sys

CTX = json.loads(sys.argv[1])
for host, port in (("1.1.1.1", 443), ("8.8.8.8", 53), ("9.9.9.9", 443),
                   ("2606:4700:4700::1111", 443)):
    try:
        socket.create_connection((host, port), timeout=1.5).close()
        print(json.dumps({"probe": f"connect:{host}:{port}", "ok": True, "detail": ""}),
              flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"connect:{host}:{port}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
