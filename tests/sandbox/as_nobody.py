"""Ask a question as an unprivileged user, in a forked child, and get its JSON answer."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

NOBODY = 65534


def answer_as_nobody(question: Callable[[], Any]) -> Any:
    """Run ``question`` in a child that has become ``nobody``; a failure comes back as a
    one-item list naming it. The child is always collected (no zombie for later checks)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            os.write(write_end, json.dumps(question()).encode())
        except BaseException as exc:
            os.write(write_end, json.dumps([f"probe failed: {exc!r}"]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            return json.loads(pipe.read())
    finally:
        os.waitpid(pid, 0)
