"""A slot's spawner: a small root process that lives in the slot's control groups and
forks each run's launcher there, so no process is moved between groups per run.

Moving a process into a cgroup waits for an RCU grace period (about 10 ms here, more on a
loaded machine); a child of a process already in the group is born in it for free. The
spawner is started with the standard library only (``python3 -I -S spawner.py FD
CGROUP.PROCS…``), joins the groups after its own start-up (so its memory stays charged
elsewhere), and serves one run at a time over a SOCK_SEQPACKET socket: a JSON request with
descriptors attached, answered by ``{"pid": N}`` when forked and ``{"status": S,
"maxrss": KB}`` once the launcher and everything it left behind are collected. It ends
with the worker (the end of its socket), and its runs with it (parent-death signal).
"""

from __future__ import annotations

import array
import ctypes
import fcntl
import json
import os
import resource
import select
import socket
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNET = 0x40000000
SIGKILL = 9
#: Where the launcher finds the descriptors it is told about (after stdin, out, err).
FIRST_EXTRA_FD = 3
_libc = ctypes.CDLL(None, use_errno=True)


def _receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return message, list(fds)


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: place the descriptors, confine, become the slot uid, exec."""
    high = [_dup_high(fd) for fd in fds]  # out of the way of the targets below
    stdin, stdout, stderr, network, *extra = high
    if _libc.setns(network, CLONE_NEWNET) != 0:
        os._exit(125)
    for target, fd in enumerate([stdin, stdout, stderr, *extra]):
        os.dup2(fd, target)
    os.closerange(FIRST_EXTRA_FD + len(extra), 1 << 16)
    for which, soft, hard in request["rlimits"]:
        resource.setrlimit(which, (soft, hard))
    uid = request.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)  # after the uid change, which clears it
    os.chdir("/")
    os.execve(request["argv"][0], request["argv"], request["env"])


def _dup_high(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 1000)
    os.close(fd)
    return high


def _worker_gone(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def _await_launcher(sock: socket.socket, pid: int) -> None:
    """Block until the launcher ends; if the worker goes first, kill the launcher (and so,
    through their parent-death signals, the whole run) and leave."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([pidfd, sock.fileno()], [], [])
            if pidfd in ready:
                return
            if _worker_gone(sock):
                os.kill(pid, SIGKILL)
                _collect(pid)
                sys.exit(0)
    finally:
        os.close(pidfd)


def _collect(pid: int) -> tuple[int, int, int]:
    """Wait for the launcher, then for everything it left (we are their subreaper); return
    its status, the largest resident size and the CPU time (ms) of all collected."""
    status, maxrss, cpu = 0, 0, 0.0
    while True:
        try:
            reaped, child_status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return status, maxrss, int(cpu * 1000)
        cpu += usage.ru_utime + usage.ru_stime
        if reaped == pid:
            status = child_status  # its own size is the spawner's, copied at fork
        else:
            maxrss = max(maxrss, usage.ru_maxrss)


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    # A worker under gevent (the embedded server runs tasks in-process) hands over a
    # non-blocking socket; the spawner waits on it.
    sock.setblocking(True)
    # No parent-death signal here: it follows the *thread* that started us, which may end
    # long before the worker. The end of the socket says the worker is gone.
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for path in sys.argv[2:]:
        fd = os.open(path, os.O_WRONLY)
        os.write(fd, b"0")
        os.close(fd)
    sock.send(b'{"ready": true}')
    while True:
        message, fds = _receive(sock)
        if not message:
            return  # the worker is gone
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            try:
                _child(request, fds)
            finally:
                os._exit(127)
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"pid": pid}).encode())
        _await_launcher(sock, pid)
        status, maxrss, cpu_ms = _collect(pid)
        sock.send(json.dumps({"status": status, "maxrss": maxrss, "cpu_ms": cpu_ms}).encode())


if __name__ == "__main__":
    main()
