"""Run B of two: looks for run A everywhere: its sockets (TCP loopback, unix paths, abstract),
its files, SysV IPC, the user keyring, other processes' roots through /proc; retries for a
while so a concurrent A is up. Contained: finds nothing."""

import ctypes
import json
import os
import socket
import sys
import time

CTX = json.loads(sys.argv[1])
MARKER = CTX["marker"]
libc = ctypes.CDLL(None, use_errno=True)
found = {}


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def connect(family, address):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        sock.connect(address)
        sock.settimeout(0.5)
        found[f"connect:{address!r}"] = sock.recv(200).decode("latin-1")
    except OSError:
        pass
    finally:
        sock.close()


def read(path):
    try:
        with open(path, "rb") as handle:
            found[f"read:{path}"] = handle.read(200).decode("latin-1")
    except OSError:
        pass


def ipc():
    shm = libc.shmget(ctypes.c_int(CTX["ipc_key"]), ctypes.c_size_t(0), ctypes.c_int(0))
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shm, None, 0o10000)  # SHM_RDONLY
        if address not in (None, ctypes.c_void_p(-1).value):
            found["shm"] = ctypes.string_at(address, 100).rstrip(b"\0").decode("latin-1")
        else:
            found["shm"] = "exists"
    queue = libc.msgget(ctypes.c_int(CTX["ipc_key"]), ctypes.c_int(0))
    if queue >= 0:
        buffer = ctypes.create_string_buffer(300)
        size = libc.msgrcv(queue, buffer, ctypes.c_size_t(200), ctypes.c_long(0), 0o4000)
        found["msg"] = buffer.raw[8:8 + max(size, 0)].decode("latin-1") or "exists"
    libc.syscall.restype = ctypes.c_long
    key = libc.syscall(ctypes.c_long(250), ctypes.c_long(10), ctypes.c_long(-4), b"user",
                       MARKER.encode(), ctypes.c_long(0))  # KEYCTL_SEARCH in @u
    if key >= 0:
        buffer = ctypes.create_string_buffer(200)
        size = libc.syscall(ctypes.c_long(250), ctypes.c_long(11), ctypes.c_long(key), buffer,
                            ctypes.c_long(200))  # KEYCTL_READ
        found["keyring"] = buffer.raw[:max(size, 0)].decode("latin-1") or "exists"


def scan():
    for port in (int(CTX["port"]), int(CTX["port"]) + 1):
        connect(socket.AF_INET, ("127.0.0.1", port))
    for directory in ("/tmp", "/dev/shm", "/work", "/var/tmp"):
        connect(socket.AF_UNIX, os.path.join(directory, f"{MARKER}.sock"))
        read(os.path.join(directory, f"{MARKER}-secret"))
    connect(socket.AF_UNIX, "\0" + MARKER)
    read(f"/dev/mqueue/{MARKER}-secret")
    ipc()
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for directory in ("root/work", "root/tmp", "cwd", "root/dev/shm"):
            read(f"/proc/{pid}/{directory}/{MARKER}-secret")
    for directory in ("/tmp", "/var/tmp", "/dev/shm", "/work", "/run/ardoise-sandbox"):
        try:
            for name in os.listdir(directory):
                if name.startswith("ardoise") or name.endswith(".sock"):
                    found[f"list:{directory}/{name}"] = ""
        except OSError:
            pass


deadline = time.monotonic() + float(CTX.get("seek_seconds", 0))
while True:
    scan()
    if found or time.monotonic() >= deadline:
        break
    time.sleep(0.1)
report("found", bool(found), found)
