"""What proctors and teachers do to a running sitting, shared by the API and the pages."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app

from ardoise.clock import iso, utcnow
from ardoise.errors import Invalid
from exam_engine import sittings
from exam_engine.attempts import AttemptRefused
from student_records import service as records
from student_records.models import Person
from web.access import AUTHORING, SUPERVISING, may_staff
from web.context import unit_of_work
from web.sockets import emit_to_sitting

MAX_ANNOUNCEMENT = 500
#: An extension: at most this many minutes, or this percentage of the time limit.
MAX_MINUTES = 360
MAX_PERCENT = 300


def announce(user: Person, sitting_id: str, text: str) -> dict[str, Any]:
    """Send ``text`` to every student of the sitting; audited."""
    text = text.strip()
    if not text or len(text) > MAX_ANNOUNCEMENT:
        raise Invalid("announcement_invalid")
    with unit_of_work() as db:
        sitting = sittings.get_sitting(db, sitting_id)
        if not may_staff(db, user, sitting.organisation_id, SUPERVISING):
            raise AttemptRefused("forbidden")
        records.audit(db, user, "announce", "sitting", sitting.id, sitting.organisation_id,
                      text=text)
    payload = {"text": text, "at": iso(utcnow())}
    emit_to_sitting(current_app._get_current_object(),  # type: ignore[attr-defined]
                    sitting_id, "announcement", payload)
    return payload


def release(user: Person, sitting_id: str) -> str | None:
    """Release a sitting's results (a teacher of its school); audited. Returns the time."""
    with unit_of_work() as db:
        sitting = sittings.get_sitting(db, sitting_id)
        if not may_staff(db, user, sitting.organisation_id, AUTHORING):
            raise AttemptRefused("forbidden")
        sittings.release_results(db, sitting, utcnow())
        records.audit(db, user, "release_results", "sitting", sitting.id,
                      sitting.organisation_id)
        return iso(sitting.released_at)


def extension_seconds(body: dict[str, Any], time_limit_seconds: int | None) -> int:
    """``{"minutes": n}`` or ``{"percent": p}`` (of the time limit) as seconds."""
    minutes, percent = body.get("minutes"), body.get("percent")
    if isinstance(minutes, int) and not isinstance(minutes, bool) and percent is None:
        if minutes == 0 or abs(minutes) > MAX_MINUTES:
            raise Invalid("extension_invalid")
        return minutes * 60
    if isinstance(percent, int | float) and not isinstance(percent, bool) and minutes is None \
            and math.isfinite(percent) and 0 < percent <= MAX_PERCENT and time_limit_seconds:
        return max(1, round(time_limit_seconds * percent / 100))
    raise Invalid("extension_invalid")
