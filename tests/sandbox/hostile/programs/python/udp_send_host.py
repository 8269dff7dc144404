"""Sends UDP datagrams to the test's sockets on every host address and waits for anything
back. Contained: the host's sockets receive nothing."""

import errno
import json
import socket
import sys

CTX = json.loads(sys.argv[1])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.3)
for host, port in CTX["udp"] + [["127.0.0.1", 6379], ["127.0.0.1", 53]]:
    try:
        sock.sendto(CTX["marker"].encode(), (host, port))
        print(json.dumps({"probe": f"udp_send:{host}:{port}", "ok": True, "detail": ""}),
              flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"udp_send:{host}:{port}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
try:
    data, sender = sock.recvfrom(512)
    print(json.dumps({"probe": "udp_reply", "ok": True, "detail": [list(sender), len(data)]}),
          flush=True)
except OSError as exc:
    print(json.dumps({"probe": "udp_reply", "ok": False, "detail": str(exc)}), flush=True)
