"""Deadline arithmetic: pure functions over the parts an attempt records."""

from __future__ import annotations

from datetime import datetime, timedelta


def compute_deadline(
    *, started_at: datetime, closes_at: datetime, time_limit_seconds: int | None,
    extra_time_percent: int = 0, extension_seconds: int = 0, paused_seconds: float = 0.0,
) -> datetime:
    """The server's deadline for an attempt.

    The time limit, lengthened by the student's accommodation, is capped by the
    sitting's close. A proctor's extension and the time spent paused are added
    after the cap: a person decided them, so they may pass the close.
    """
    natural = closes_at
    if time_limit_seconds is not None:
        allowed = time_limit_seconds * (100 + extra_time_percent) / 100
        natural = min(started_at + timedelta(seconds=allowed), closes_at)
    return natural + timedelta(seconds=extension_seconds + paused_seconds)


def is_late(now: datetime, deadline: datetime, grace_seconds: float) -> bool:
    """True once ``now`` is past the deadline plus the network grace."""
    return now > deadline + timedelta(seconds=grace_seconds)


def remaining_seconds(now: datetime, deadline: datetime) -> float:
    return max(0.0, (deadline - now).total_seconds())
