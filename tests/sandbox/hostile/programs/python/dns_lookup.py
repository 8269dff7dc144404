"""Resolves public names through the resolver and by asking public DNS servers directly.
Contained: no answer comes back."""

import json
import socket
import struct
import sys

CTX = json.loads(sys.argv[1])


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


for name in ("example.com", "deb.debian.org", "pypi.org"):
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(name, 443)})
        report(f"resolve:{name}", True, addresses)
    except OSError as exc:
        report(f"resolve:{name}", False, str(exc))
query = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(part)]) + part.encode() for part in "example.com".split(".")) + b"\0\0\1\0\1"
servers = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
try:
    with open("/etc/resolv.conf") as handle:
        servers += [line.split()[1] for line in handle if line.startswith("nameserver")]
except OSError:
    pass
for server in servers:
    sock = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET,
                         socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    try:
        sock.sendto(query, (server, 53))
        data = sock.recv(512)
        report(f"dns:{server}", len(data) > 12 and data[:2] == b"\x42\x42", len(data))
    except OSError as exc:
        report(f"dns:{server}", False, str(exc))
    finally:
        sock.close()
