"""The host's end of a runner's channel: length-prefixed JSON over an attached container stream.

Requests go in raw on the container's stdin. Replies come back on its stdout, which Docker
(without a TTY) multiplexes with stderr in frames: one byte naming the stream, three zero
bytes, a 4-byte big-endian size, then the payload.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from sandbox.backends.base import SandboxFailure
from sandbox.backends.docker_runner_io import LENGTH_BYTES, MAX_MESSAGE_BYTES

FRAME_HEADER = 8
STDOUT, STDERR = 1, 2
#: The runner's own stderr (a traceback, at worst) kept for error messages.
STDERR_TAIL = 4096


class RunnerUnavailable(SandboxFailure):
    """The runner did not answer, answered garbage or its container went away."""


class RunnerRefused(SandboxFailure):
    """The runner answered that it could not carry out a request."""


class RunnerChannel:
    """One container's runner, spoken to by one thread at a time (its pool sees to that)."""

    def __init__(self, attached: Any) -> None:
        #: Keeps the HTTP response alive: dropping it would close the hijacked connection.
        self._attached = attached
        self._sock: socket.socket = getattr(attached, "_sock", attached)
        self._frames = bytearray()
        self._stdout = bytearray()
        self._stderr = bytearray()
        self.closed = False

    @property
    def stderr_tail(self) -> str:
        return self._stderr.decode(errors="replace")

    def send_raw(self, data: bytes, timeout: float) -> None:
        self._sock.settimeout(timeout)
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.closed = True
            raise RunnerUnavailable(f"the sandbox runner stopped reading: {exc}") from exc

    def send(self, message: dict[str, Any], timeout: float) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        self.send_raw(len(data).to_bytes(LENGTH_BYTES, "big") + data, timeout)

    def receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            if len(self._stdout) >= LENGTH_BYTES:
                size = int.from_bytes(self._stdout[:LENGTH_BYTES], "big")
                if size > MAX_MESSAGE_BYTES:
                    raise self._broken("an oversized reply")
                if len(self._stdout) >= LENGTH_BYTES + size:
                    body = bytes(self._stdout[LENGTH_BYTES:LENGTH_BYTES + size])
                    del self._stdout[:LENGTH_BYTES + size]
                    try:
                        reply = json.loads(body)
                    except ValueError:
                        raise self._broken("a reply that is not JSON") from None
                    if not isinstance(reply, dict):
                        raise self._broken("a reply that is not an object")
                    return reply
            self._fill(deadline)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``message`` and wait for the answer; :class:`RunnerRefused` when not ok."""
        if self.closed:
            raise RunnerUnavailable("the sandbox runner's channel is closed")
        self.send(message, timeout)
        reply = self.receive(timeout)
        if reply.get("ok") is not True:
            raise RunnerRefused(f"the sandbox runner refused {message.get('op')!r}: "
                                f"{reply.get('error', 'no reason given')}")
        return reply

    def close(self) -> None:
        self.closed = True
        for closing in (self._sock, self._attached):
            try:
                closing.close()
            except OSError:
                pass

    def _broken(self, what: str) -> RunnerUnavailable:
        self.closed = True
        tail = self.stderr_tail.strip()
        return RunnerUnavailable(f"the sandbox runner sent {what}" + (f": {tail}" if tail else ""))

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            self.closed = True
            raise RunnerUnavailable("the sandbox runner did not answer in time")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(1 << 20)
        except TimeoutError:
            self.closed = True
            raise RunnerUnavailable("the sandbox runner did not answer in time") from None
        except OSError as exc:
            self.closed = True
            raise RunnerUnavailable(f"the sandbox runner's channel failed: {exc}") from exc
        if not chunk:
            raise self._broken("nothing more (its container ended)")
        self._frames += chunk
        while len(self._frames) >= FRAME_HEADER:
            size = int.from_bytes(self._frames[4:FRAME_HEADER], "big")
            if len(self._frames) < FRAME_HEADER + size:
                break
            stream = self._frames[0]
            payload = self._frames[FRAME_HEADER:FRAME_HEADER + size]
            del self._frames[:FRAME_HEADER + size]
            if stream == STDOUT:
                self._stdout += payload
            elif stream == STDERR:
                self._stderr += payload
                del self._stderr[:-STDERR_TAIL]
            else:
                raise self._broken(f"a frame of unknown stream {stream}")
