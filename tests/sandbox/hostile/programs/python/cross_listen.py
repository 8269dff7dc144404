"""Run A of two: leaves its secret everywhere it can write (work dir, /tmp, /var/tmp,
/dev/shm, SysV shared memory and message queue, the user keyring) and listens on TCP
loopback, a unix socket in /tmp, /dev/shm and /work, and an abstract unix socket, for as
long as it is told. Contained: no other run connects or finds the secret."""

import ctypes
import errno
import json
import os
import select
import socket
import sys
import time

CTX = json.loads(sys.argv[1])
SECRET = CTX["run_secret"].encode()
MARKER = CTX["marker"]
libc = ctypes.CDLL(None, use_errno=True)


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def failure(exc):
    return errno.errorcode.get(getattr(exc, "errno", 0) or 0, str(exc))


for directory in ("/work", "/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"):
    path = os.path.join(directory, f"{MARKER}-secret")
    try:
        with open(path, "wb") as handle:
            handle.write(SECRET)
        os.chmod(path, 0o666)
        report(f"wrote:{path}", True)
    except OSError as exc:
        report(f"wrote:{path}", False, failure(exc))
# SysV IPC lives in an IPC namespace: a shared one would carry the secret to other runs.
shm = libc.shmget(ctypes.c_int(CTX["ipc_key"]), ctypes.c_size_t(4096), ctypes.c_int(0o1666))
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    address = libc.shmat(shm, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memmove(address, SECRET, len(SECRET))
report("shmget", shm >= 0, errno.errorcode.get(ctypes.get_errno()))
queue = libc.msgget(ctypes.c_int(CTX["ipc_key"]), ctypes.c_int(0o1666))
if queue >= 0:
    message = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + len(SECRET))
    ctypes.memmove(message, (ctypes.c_long * 1)(1), ctypes.sizeof(ctypes.c_long))
    ctypes.memmove(ctypes.byref(message, ctypes.sizeof(ctypes.c_long)), SECRET, len(SECRET))
    libc.msgsnd(queue, message, ctypes.c_size_t(len(SECRET)), 0o4000)
report("msgget", queue >= 0, errno.errorcode.get(ctypes.get_errno()))
libc.syscall.restype = ctypes.c_long
key = libc.syscall(ctypes.c_long(248), b"user", MARKER.encode(), ctypes.c_char_p(SECRET),
                   ctypes.c_long(len(SECRET)), ctypes.c_long(-4))  # add_key to @u
report("add_key", key >= 0, errno.errorcode.get(ctypes.get_errno()))

listeners = []


def listen(family, address):
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if family == socket.AF_UNIX and not address.startswith("\0"):
            os.chmod(address, 0o777)
        sock.listen(8)
        listeners.append(sock)
        report(f"listen:{address!r}", True)
    except OSError as exc:
        report(f"listen:{address!r}", False, failure(exc))


listen(socket.AF_INET, ("127.0.0.1", int(CTX["port"])))
listen(socket.AF_INET, ("0.0.0.0", int(CTX["port"]) + 1))
for directory in ("/tmp", "/dev/shm", "/work", "/var/tmp"):
    listen(socket.AF_UNIX, os.path.join(directory, f"{MARKER}.sock"))
listen(socket.AF_UNIX, "\0" + MARKER)
report("ready", True)
accepted = []
deadline = time.monotonic() + float(CTX.get("listen_seconds", 0))
while listeners and time.monotonic() < deadline:
    readable, _, _ = select.select(listeners, [], [], max(0.0, deadline - time.monotonic()))
    for sock in readable:
        conn, _ = sock.accept()
        conn.sendall(SECRET)
        conn.close()
        accepted.append(repr(sock.getsockname()))
report("accepted", bool(accepted), accepted)
