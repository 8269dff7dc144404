"""The ``ardoise.run_code`` task and the service that queues it: sandbox runs by job id.

A job id names one run. The first result stored for it is its answer from then on: a
job queued twice, or redelivered after its worker died, is answered from the database
and not run again once a result is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from ardoise.celery_app import celery
from ardoise.clock import utcnow
from ardoise.code_runs import find_result, spec_digest, store_result, validate_job_id
from ardoise.config import sandbox_backend_from_env
from ardoise.errors import Invalid
from ardoise.worker.context import database
from sandbox import RunResult, RunSpec, SandboxUnavailable, run
from sandbox.backends import get_backend
from sandbox.spec import sandbox_error

log = logging.getLogger(__name__)

#: A worker without a working sandbox puts the job back this many times before answering.
UNAVAILABLE_RETRIES = 8
#: Seconds before the first retry; doubled each time, capped at :data:`MAX_RETRY_DELAY`.
FIRST_RETRY_DELAY = 10
MAX_RETRY_DELAY = 600


def retry_delay(retries: int) -> int:
    """10, 20, 40 … 600 seconds: about half an hour in all before the job is answered."""
    return int(min(MAX_RETRY_DELAY, FIRST_RETRY_DELAY * 2 ** retries))


class RetryLater(Exception):
    """No backend can run code on this worker now; the job should come back later."""

    def __init__(self, reason: SandboxUnavailable) -> None:
        self.reason = reason
        super().__init__(str(reason))


def run_job(job_id: str, spec_data: Any, *, may_retry: bool) -> RunResult:
    """Answer job ``job_id``: its stored result, or a fresh run stored as its result.

    :param spec_data: a :meth:`RunSpec.to_dict`; one that is no valid spec is answered
        with a ``sandbox_error`` saying why (it is never retried).
    :param may_retry: when no backend can run code here, raise :class:`RetryLater`
        instead of storing a ``sandbox_error`` (the last attempt stores it).
    :raises Conflict: ``code_run_conflict``: the job was answered for another spec.
    """
    validate_job_id(job_id)
    digest = spec_digest(spec_data)
    with database().session() as session:
        stored = find_result(session, job_id, digest)
    if stored is not None:
        log.info("code run %s: answered from the stored result", job_id)
        return stored
    started = utcnow()
    backend, result = _run(spec_data, sandbox_backend_from_env(), may_retry)
    with database().session() as session:
        return store_result(session, job_id, digest, backend, result, started_at=started)


def _run(spec_data: Any, configured: str, may_retry: bool) -> tuple[str, RunResult]:
    """The backend that ran the spec (or the configured one) and the verdict."""
    try:
        spec = RunSpec.from_dict(spec_data)
        spec.validate()
    except ValueError as exc:  # InvalidSpec, or an unsafe file name or argument
        return configured, sandbox_error(f"invalid run spec: {exc}")
    try:
        # ``auto`` is resolved once, so that the row names the backend that ran the code.
        name = get_backend(configured).name
        return name, run(spec, backend=name)
    except SandboxUnavailable as exc:
        if may_retry:
            raise RetryLater(exc) from exc
        return configured, sandbox_error(f"no sandbox can run code on this worker: {exc}")
    except Exception as exc:
        # A fault of the sandbox machinery, not of the program: the client still gets an
        # answer instead of waiting for one that never comes.
        log.exception("code run failed in the sandbox machinery")
        return configured, sandbox_error(f"the sandbox failed: {type(exc).__name__}: {exc}")


@celery.task(name="ardoise.run_code", bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=UNAVAILABLE_RETRIES)
def run_code(self: Task, job_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` in the sandbox as job ``job_id`` (idempotent by job id); its RunResult."""
    # In-process (no broker) there is no other worker to wait for: answer at once.
    may_retry = not self.request.is_eager and self.request.retries < UNAVAILABLE_RETRIES
    try:
        return run_job(job_id, spec, may_retry=may_retry).to_dict()
    except RetryLater as exc:
        log.warning("code run %s: %s; retrying", job_id, exc)
        raise self.retry(countdown=retry_delay(self.request.retries)) from None


def submit_code_run(job_id: str, spec: RunSpec) -> RunResult | None:
    """Queue ``spec`` as job ``job_id`` on the ``sandbox`` queue.

    Returns the job's result when it is already known: a job queued before and answered,
    or any job in the embedded default, where the task runs in-process before this
    returns. ``None`` means queued: :func:`ardoise.code_runs.find_result` gives the
    result once a worker has stored it.

    :raises Invalid: ``invalid_job_id`` or ``invalid_run_spec`` (nothing is queued).
    :raises Conflict: ``code_run_conflict``: the job id was used for another spec.
    """
    validate_job_id(job_id)
    try:
        spec.validate()
    except ValueError as exc:
        raise Invalid("invalid_run_spec", str(exc)) from None
    digest = spec_digest(spec)
    with database().session() as session:
        stored = find_result(session, job_id, digest)
    if stored is not None:
        return stored
    run_code.apply_async((job_id, spec.to_dict()))
    if not celery.conf.task_always_eager:
        return None
    with database().session() as session:
        return find_result(session, job_id, digest)
