"""The one entry point: ``run(RunSpec) -> RunResult`` on the configured backend."""

from __future__ import annotations

from sandbox.backends import get_backend
from sandbox.spec import (
    InvalidSpec,
    Limits,
    RunResult,
    RunSpec,
    SandboxUnavailable,
    Status,
)

__all__ = ["InvalidSpec", "Limits", "RunResult", "RunSpec", "SandboxUnavailable", "Status", "run"]


def run(spec: RunSpec, backend: str = "auto") -> RunResult:
    """Run ``spec`` on ``backend`` (``auto``, ``process`` or ``docker``) and return its verdict.

    Whatever the program does, a :class:`RunResult` comes back; its ``status`` says how it went.

    :raises InvalidSpec: the spec itself is malformed (nothing ran).
    :raises SandboxUnavailable: the backend cannot confine code on this machine (nothing ran).
    """
    spec.validate()
    return get_backend(backend).run(spec)
