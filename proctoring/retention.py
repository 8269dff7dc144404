"""Retention: once a sitting's retention period has passed, its integrity detail goes.

A sitting's events, tallies and flags are deleted ``retention_days`` after it closes (its
policy's; a sitting without a policy has no detail). Each attempt keeps its review: the
outcome a person gave (or ``not_reviewed``), marked ``purged_at`` so a report can say the
detail is gone rather than that there was none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exam_engine.models import Attempt, Sitting
from proctoring.models import (
    IntegrityEvent,
    IntegrityFlag,
    IntegrityPolicy,
    IntegrityReview,
    IntegrityTally,
)


def expired_sittings(session: Session, now: datetime) -> list[str]:
    """Sittings whose retention period has passed and whose detail is still there."""
    found = session.execute(select(Sitting.id, Sitting.closes_at, IntegrityPolicy.retention_days)
                            .join(IntegrityPolicy, IntegrityPolicy.sitting_id == Sitting.id)).all()
    expired = [sitting_id for sitting_id, closes_at, days in found
               if closes_at + timedelta(days=days) <= now]
    if not expired:
        return []
    with_detail = set(session.scalars(select(IntegrityTally.sitting_id).where(
        IntegrityTally.sitting_id.in_(expired)))) | set(session.scalars(
            select(IntegrityEvent.sitting_id).where(IntegrityEvent.sitting_id.in_(expired))))
    return sorted(with_detail)


def purge_sitting(session: Session, sitting_id: str, now: datetime) -> int:
    """Delete the sitting's integrity detail, keep (or create) each attempt's review with
    ``purged_at``; returns how many events were deleted."""
    reviewed = set(session.scalars(select(IntegrityReview.attempt_id).where(
        IntegrityReview.sitting_id == sitting_id)))
    for attempt_id in session.scalars(select(Attempt.id).where(
            Attempt.sitting_id == sitting_id)):
        if attempt_id not in reviewed:
            session.add(IntegrityReview(attempt_id=attempt_id, sitting_id=sitting_id,
                                        status="not_reviewed", note="", second_note=""))
    session.flush()
    for review in session.scalars(select(IntegrityReview).where(
            IntegrityReview.sitting_id == sitting_id)):
        review.purged_at = now
    session.execute(delete(IntegrityFlag).where(IntegrityFlag.sitting_id == sitting_id))
    session.execute(delete(IntegrityTally).where(IntegrityTally.sitting_id == sitting_id))
    deleted = session.execute(delete(IntegrityEvent).where(
        IntegrityEvent.sitting_id == sitting_id))
    session.flush()
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """Purge every sitting whose retention period has passed; sitting id → events deleted."""
    return {sitting_id: purge_sitting(session, sitting_id, now)
            for sitting_id in expired_sittings(session, now)}
