"""Connects to the host's loopback services over TCP: the test's listeners on every host
address, Redis (and sets a key there), PostgreSQL, over IPv4 and IPv6. Contained: every
connection fails."""

import errno
import json
import socket
import sys

CTX = json.loads(sys.argv[1])
TARGETS = [tuple(t) for t in CTX["tcp"]] + [("127.0.0.1", 6379), ("::1", 6379),
                                             ("localhost", 6379), ("127.0.0.1", 5432),
                                             ("localhost", 5432), ("127.0.0.2", 6379)]
for host, port in TARGETS:
    try:
        conn = socket.create_connection((host, port), timeout=1.0)
    except OSError as exc:
        print(json.dumps({"probe": f"tcp:{host}:{port}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
        continue
    reply = b""
    try:
        if port == 6379:
            key = CTX["marker"].encode()
            conn.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$7\r\nescaped\r\n" % (len(key), key))
        else:
            conn.sendall(CTX["marker"].encode() + b"\n")
        conn.settimeout(1.0)
        reply = conn.recv(100)
    except OSError:
        pass
    conn.close()
    print(json.dumps({"probe": f"tcp:{host}:{port}", "ok": True,
                      "detail": reply.decode("latin-1")}), flush=True)
