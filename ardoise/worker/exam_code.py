"""The ``ardoise.grade_attempt_code`` task: an exam's code answers scored on the sandbox queue.

``ardoise.grade_attempt`` (default queue) scores the objective items of a submitted
attempt and leaves each slot whose item type ``needs_sandbox`` awaiting the sandbox; it
then queues this task, which runs on a ``sandbox`` worker:

1. the awaiting slots are read, and the transaction closed;
2. each answer is scored (its code run in the sandbox) with no transaction open, so no
   lock on the attempt is held while student code runs;
3. each score is stored under the attempt's row lock, taken for that write only, and the
   attempt totalled again; ``graded_at`` is set once no slot awaits the sandbox.

A job redelivered after its worker died, or queued twice (``grade_attempt`` ran twice),
scores only what still awaits the sandbox, and a second score for a slot is dropped. A
worker whose sandbox cannot run code (:class:`sandbox.SandboxUnavailable`), or whose
sandbox failed to run the harness (:class:`coding_lab.item_type.CodeNotRun`), puts the job
back with a growing delay (as ``ardoise.run_code`` does); once the retries are spent, or
in-process where no other worker could take it, the slots keep awaiting the sandbox —
never a zero — and the teacher's sitting page counts them
(:func:`exam_engine.grading.sandbox_backlog`). Grading the attempt again queues the task
again.
"""

from __future__ import annotations

import logging

from celery import Task

from ardoise.celery_app import celery
from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.worker.code_runs import UNAVAILABLE_RETRIES, retry_delay
from ardoise.worker.context import database
from coding_lab.item_type import CodeNotRun
from exam_engine.grading import score_awaiting_sandbox
from item_bank.registry import ItemTypeRegistry
from sandbox import SandboxUnavailable

log = logging.getLogger(__name__)


class ScoreLater(Exception):
    """The sandbox could not score an answer now; the job should come back later."""


def score_code_answers(attempt_id: str, *, may_retry: bool, db: Database | None = None,
                       registry: ItemTypeRegistry | None = None) -> int:
    """Score the attempt's slots awaiting the sandbox (the body of the task); how many
    scores were stored.

    :param may_retry: when the sandbox cannot score an answer, raise :class:`ScoreLater`
        instead of leaving the slot awaiting the sandbox.
    :param db: the database (the worker's by default).
    """
    try:
        stored = score_awaiting_sandbox(db or database(), attempt_id, utcnow, registry)
    except (SandboxUnavailable, CodeNotRun) as exc:
        if may_retry:
            raise ScoreLater(str(exc)) from exc
        log.error("attempt %s: code answers left awaiting the sandbox: %s", attempt_id, exc)
        return 0
    log.info("attempt %s: %s code answer(s) scored", attempt_id, stored)
    return stored


@celery.task(name="ardoise.grade_attempt_code", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=UNAVAILABLE_RETRIES)
def grade_attempt_code(self: Task, attempt_id: str) -> None:
    """Score the code answers of attempt ``attempt_id`` (idempotent; see the module's words)."""
    # In-process (no broker) there is no other worker to wait for: answer at once.
    may_retry = not self.request.is_eager and self.request.retries < UNAVAILABLE_RETRIES
    try:
        score_code_answers(attempt_id, may_retry=may_retry)
    except ScoreLater as exc:
        log.warning("attempt %s: %s; retrying", attempt_id, exc)
        raise self.retry(countdown=retry_delay(self.request.retries)) from None
