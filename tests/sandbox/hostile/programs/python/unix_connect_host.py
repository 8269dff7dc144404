"""Connects to the host's unix sockets: Docker's API (root on the host), containerd,
PostgreSQL's and MariaDB's sockets, D-Bus, the test's own path and abstract sockets.
Contained: every connection fails."""

import errno
import json
import socket
import sys

CTX = json.loads(sys.argv[1])
PATHS = ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
         "/var/run/docker/containerd/containerd.sock", "/var/run/postgresql/.s.PGSQL.5432",
         "/run/postgresql/.s.PGSQL.5432", "/run/mysqld/mysqld.sock",
         "/run/dbus/system_bus_socket", "/run/systemd/private", CTX["unix_path"],
         "\0" + CTX["abstract"]]
for path in PATHS:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(path)
        print(json.dumps({"probe": f"unix:{path!r}", "ok": True, "detail": ""}), flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"unix:{path!r}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
    finally:
        sock.close()
