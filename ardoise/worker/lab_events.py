"""Pushing coding-lab events to pages over Socket.IO, from a web process or a worker.

A web process binds its own Socket.IO server (:func:`bind_server`): its emits reach its
own clients and, through its Redis client manager, every other web node. A worker has no
server: it publishes through a write-only :class:`socketio.RedisManager` on the channel
the web nodes listen to (``ardoise-socketio``). With neither (a worker without Redis,
which cannot exist, or a script), nothing is pushed: pages also read statuses over REST.

A push is best effort: a status is stored before it is pushed, and a push that fails
is logged, never fails the grading.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

# The tasks sit at the top of the graph beside web (ARCHITECTURE.md): a worker publishes
# to the web nodes' Socket.IO message queue.
import socketio  # noqa: TID251

from ardoise.config import from_env
from coding_lab.models import Submission

log = logging.getLogger(__name__)

NAMESPACE = "/lab"
CHANNEL = "ardoise-socketio"

_state: dict[str, Any] = {}
_lock = threading.Lock()


def bind_server(server: socketio.Server | None) -> None:
    """Emit through ``server`` (the web process's own) from now on; ``None`` unbinds."""
    with _lock:
        _state["server"] = server


def _emitter() -> Any:
    with _lock:
        server = _state.get("server")
        if server is not None:
            return server
        if "manager" not in _state:
            url = from_env().redis_url
            _state["manager"] = None if not url else socketio.RedisManager(
                url, channel=CHANNEL, write_only=True)
        return _state["manager"]


def emit(event: str, data: dict[str, Any], room: str) -> bool:
    """Push ``event`` to ``room`` of the ``/lab`` namespace; False when it could not be."""
    emitter = _emitter()
    if emitter is None:
        return False
    try:
        emitter.emit(event, data, room=room, namespace=NAMESPACE)
    except Exception:  # Redis away for a moment: the page still reads the status over REST
        log.exception("could not push %s to %s", event, room)
        return False
    return True


def student_room(person_id: str) -> str:
    return f"student:{person_id}"


def assignment_room(assignment_id: str) -> str:
    return f"assignment:{assignment_id}"


def status_payload(submission: Submission) -> dict[str, Any]:
    """``submission:status`` as the contract says: scores only once graded."""
    graded = submission.status == "graded"
    return {"submission_id": submission.id, "assignment_id": submission.assignment_id,
            "status": submission.status,
            "score": submission.score if graded else None,
            "max_score": submission.max_score if graded else None}


def submission_status(submission: Submission) -> bool:
    """Push the submission's current status to its student's pages."""
    return emit("submission:status", status_payload(submission),
                student_room(submission.student_id))


def regrade_progress(assignment_id: str, done: int, total: int) -> bool:
    """Push a bulk regrade's progress to the assignment's teachers."""
    return emit("regrade:progress", {"assignment_id": assignment_id, "done": done,
                                     "total": total}, assignment_room(assignment_id))
