"""Running untrusted code: one entry, :func:`run`, over interchangeable backends."""

from sandbox.api import InvalidSpec, Limits, RunResult, RunSpec, SandboxUnavailable, Status, run

__all__ = ["InvalidSpec", "Limits", "RunResult", "RunSpec", "SandboxUnavailable", "Status", "run"]
