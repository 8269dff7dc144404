"""The worker's side of a slot's spawner (see ``spawner.py``): start it, ask it to fork a
launcher with given descriptors, limits and uid, and learn how the launcher ended."""

from __future__ import annotations

import array
import json
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.backends.base import SandboxFailure

SPAWNER = Path(__file__).with_name("spawner.py")


@dataclass(frozen=True)
class Ended:
    """How a launcher ended: its wait status, and the largest resident size among what it
    left to be collected (the program and its children), in kB."""

    status: int
    maxrss_kb: int
    cpu_ms: int


class Spawner:
    """One spawner process, serving one slot for this worker process."""

    def __init__(self, join: list[Path]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SPAWNER), str(theirs.fileno()),
             *[str(p) for p in join]],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, cwd="/", env={})
        theirs.close()
        try:
            hello = self._receive(30.0)
        except TimeoutError:
            hello = {}
        if not hello.get("ready"):
            self.close()
            raise SandboxFailure("the sandbox spawner did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def _receive(self, timeout: float | None) -> dict[str, int]:
        """The next message; :class:`TimeoutError` when none came within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            message = self.sock.recv(1 << 16)
        except TimeoutError:
            raise
        except OSError as exc:
            raise SandboxFailure(f"the sandbox spawner did not answer: {exc}") from exc
        if not message:
            raise SandboxFailure("the sandbox spawner stopped")
        data: dict[str, int] = json.loads(message)
        return data

    def spawn(self, argv: list[str], env: dict[str, str], fds: list[int],
              rlimits: list[tuple[int, int, int]], uid: int | None) -> int:
        """Fork the launcher. ``fds`` are stdin, stdout, stderr, the network namespace,
        then the extra descriptors the launcher's ``argv`` names as 3, 4, …"""
        request = json.dumps({"argv": argv, "env": env, "rlimits": rlimits, "uid": uid})
        try:
            self.sock.sendmsg([request.encode()], [
                (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
        except OSError as exc:
            raise SandboxFailure(f"the sandbox spawner is gone: {exc}") from exc
        try:
            return self._receive(30.0)["pid"]
        except TimeoutError:
            raise SandboxFailure("the sandbox spawner did not fork") from None

    def ended(self, timeout: float | None) -> Ended | None:
        """The launcher's end, or None if it has not ended within ``timeout``."""
        try:
            data = self._receive(timeout)
        except TimeoutError:
            return None
        return Ended(status=data["status"], maxrss_kb=data["maxrss"], cpu_ms=data["cpu_ms"])

    def close(self) -> None:
        self.sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
