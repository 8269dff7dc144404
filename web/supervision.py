"""What proctors and teachers do to a running sitting, shared by the API and the pages."""

from __future__ import annotations

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
