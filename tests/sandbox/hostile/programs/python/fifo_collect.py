"""Leaves a fifo, a unix socket, a directory and links to endless devices under the names
the trusted side collects, with a child holding the fifo open. Contained: collection
finishes at once and returns only the regular file."""

import json
import os
import socket
import sys
import time

CTX = json.loads(sys.argv[1])
os.mkfifo("out.txt")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind("sock.txt")
os.mkdir("dir.txt")
os.symlink("/dev/zero", "zero.txt")
os.symlink("/dev/urandom", "random.txt")
with open("plain.txt", "w") as handle:
    handle.write("plain")
if os.fork() == 0:
    fd = os.open("out.txt", os.O_RDWR)
    time.sleep(30)
    os._exit(0)
print(json.dumps({"probe": "planted", "ok": True, "detail": ""}), flush=True)
os._exit(0)
