"""Opens packet and raw sockets (sniffing, spoofing), ping and netlink sockets. Contained:
packet and raw sockets are refused."""

import errno
import json
import socket
import sys

CTX = json.loads(sys.argv[1])
KINDS = {
    "packet_raw": (socket.AF_PACKET, socket.SOCK_RAW, 0x0300),
    "packet_dgram": (socket.AF_PACKET, socket.SOCK_DGRAM, 0x0300),
    "inet_raw_icmp": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    "inet_raw_raw": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW),
    "inet6_raw_icmp": (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    "inet_ping": (socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
    "netlink_route": (socket.AF_NETLINK, socket.SOCK_RAW, 0),
    "netlink_audit": (socket.AF_NETLINK, socket.SOCK_RAW, 9),
}
for name, (family, kind, proto) in KINDS.items():
    try:
        socket.socket(family, kind, proto).close()
        print(json.dumps({"probe": f"socket:{name}", "ok": True, "detail": ""}), flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"socket:{name}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
