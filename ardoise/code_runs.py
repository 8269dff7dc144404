"""Stored verdicts of queued code runs: one per client-chosen job id, so a run is idempotent."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime
from ardoise.errors import Conflict, Invalid
from sandbox.spec import RunResult, RunSpec

JOB_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class CodeRun(Base):
    """The one result of job ``job_id``; ``spec_digest`` pins the spec it answers."""

    __tablename__ = "code_runs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: When the run that produced this result began (a retried job: its last attempt).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    backend: Mapped[str] = mapped_column(String(16))
    spec_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result_json: Mapped[str] = mapped_column(Text)

    @property
    def result(self) -> RunResult:
        return RunResult.from_dict(json.loads(self.result_json))


def validate_job_id(job_id: object) -> str:
    """A job id is 1–64 characters of ``[A-Za-z0-9_.:-]``, chosen by the client."""
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise Invalid("invalid_job_id", "a job id is 1 to 64 characters of A-Z a-z 0-9 _ . : -")
    return job_id


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def spec_digest(spec: RunSpec | Mapping[str, Any]) -> str:
    """sha256 of the spec's canonical JSON: the same run described twice has one digest.

    A mapping is read as a :class:`RunSpec` first, so that defaults spelled out or left
    out give the same digest; one that is no spec at all is digested as it is.
    """
    if not isinstance(spec, RunSpec):
        try:
            spec = RunSpec.from_dict(spec)
        except ValueError:
            return hashlib.sha256(canonical_json(spec).encode()).hexdigest()
    return hashlib.sha256(canonical_json(spec.to_dict()).encode()).hexdigest()


def _checked(row: CodeRun, digest: str) -> RunResult:
    if row.spec_digest != digest:
        raise Conflict("code_run_conflict", f"job {row.job_id!r} was run for another spec",
                       job_id=row.job_id)
    return row.result


def find_run(session: Session, job_id: str) -> CodeRun | None:
    return session.get(CodeRun, job_id, populate_existing=True)


def find_result(session: Session, job_id: str, digest: str | None = None) -> RunResult | None:
    """The stored result of ``job_id``, if any.

    :param digest: when given, the spec the caller means; a result stored for another
        spec raises :class:`Conflict` (``code_run_conflict``).
    """
    row = find_run(session, job_id)
    if row is None:
        return None
    return row.result if digest is None else _checked(row, digest)


def store_result(session: Session, job_id: str, digest: str, backend: str, result: RunResult,
                 started_at: datetime | None = None) -> RunResult:
    """Store ``result`` as the answer of ``job_id`` and return the answer that holds.

    Two workers may finish the same job (a redelivered task whose first worker was only
    slow): the first result stored wins and both get it back. A job id already answered
    for another spec raises :class:`Conflict` (``code_run_conflict``).
    """
    validate_job_id(job_id)
    now = utcnow()
    row = CodeRun(job_id=job_id, created_at=started_at or now, finished_at=now,
                  backend=backend, spec_digest=digest, status=str(result.status),
                  result_json=canonical_json(result.to_dict()))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Only the savepoint is undone; the other worker's committed row is the answer.
        winner = session.scalar(select(CodeRun).where(CodeRun.job_id == job_id)
                                .execution_options(populate_existing=True))
        if winner is None:
            raise
        return _checked(winner, digest)
    return result
