"""Task definitions; each calls a domain service inside its own unit of work."""

from __future__ import annotations

from pathlib import Path

from ardoise.celery_app import celery
from ardoise.clock import utcnow
from ardoise.worker import (
    code_runs,  # noqa: F401 - registers ardoise.run_code with the worker
    lab,  # noqa: F401 - registers ardoise.grade_submission
)
from ardoise.worker.context import database
from ardoise.worker.exam_code import grade_attempt_code
from exam_engine.exam_interop import exams_from_tests
from exam_engine.grading import grade_attempt as grade_attempt_service
from exam_engine.grading import slots_awaiting_sandbox
from exam_engine.preparation import prepare_sitting as prepare_sitting_service
from item_bank.bulk_import import run_import


@celery.task(name="ardoise.grade_attempt", acks_late=True, max_retries=5,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def grade_attempt(attempt_id: str) -> None:
    """Auto-grade the objective items of a submitted attempt (idempotent), then queue its
    code answers on the ``sandbox`` queue (``ardoise.grade_attempt_code``) once the
    attempt's lock is released; in-process, they are scored before this returns."""
    with database().session() as session:
        grade_attempt_service(session, attempt_id, utcnow())
        awaiting = bool(slots_awaiting_sandbox(session, attempt_id))
    if awaiting:
        grade_attempt_code.apply_async((attempt_id,))


@celery.task(name="ardoise.prepare_sitting", acks_late=True, max_retries=5,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def prepare_sitting(sitting_id: str) -> None:
    """Draw the questions and generate the variants of a sitting's candidates ahead of its
    start (idempotent: seeds already chosen are kept)."""
    with database().session() as session:
        prepare_sitting_service(session, sitting_id)


@celery.task(name="ardoise.import_items", acks_late=True)
def import_items(import_id: str, upload: str, language: str = "fr") -> None:
    """Import a file uploaded on the bulk import page (all or nothing), reporting progress."""
    run_import(database(), import_id, Path(upload), language, tests_hook=exams_from_tests)
