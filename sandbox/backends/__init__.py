"""Backends by name; ``auto`` picks Docker when its engine and image are ready, else process."""

from __future__ import annotations

import os
import threading

from sandbox.backends.base import Backend
from sandbox.spec import InvalidSpec, SandboxUnavailable

BACKEND_NAMES = ("process", "docker")
_backends: dict[str, Backend] = {}
_lock = threading.Lock()


def _create(name: str) -> Backend:
    if name == "process":
        from sandbox.backends.process import ProcessBackend

        return ProcessBackend()
    if name == "docker":
        from sandbox.backends.docker import DockerBackend

        # The sandbox's own settings, documented with the others in docs/configuration.md.
        return DockerBackend(pool_size=int(os.environ.get("ARDOISE_SANDBOX_POOL_SIZE", "2")))
    raise InvalidSpec(f"unknown sandbox backend {name!r}")


def backend(name: str) -> Backend:
    """The process-wide instance of backend ``name`` (created on first use, never checked)."""
    with _lock:
        if name not in _backends:
            _backends[name] = _create(name)
        return _backends[name]


def get_backend(name: str = "auto") -> Backend:
    """A backend able to run code here, or :class:`SandboxUnavailable` naming what is missing."""
    if name == "auto":
        reasons: list[str] = []
        for candidate in ("docker", "process"):
            missing = backend(candidate).missing()
            if not missing:
                return backend(candidate)
            reasons += [f"{candidate}: {m}" for m in missing]
        raise SandboxUnavailable("auto", reasons)
    chosen = backend(name)
    missing = chosen.missing()
    if missing:
        raise SandboxUnavailable(name, missing)
    return chosen
