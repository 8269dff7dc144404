"""After the sitting: each student's integrity report, a person's review, a second review, and
the sitting's reviews as CSV for a school's records.

A review is ``not_reviewed`` until someone gives it ``no_issue``, ``suspicious`` or
``violation`` with a note; a second reviewer, another person, records their own status and
note beside it. The report gathers what the server kept (events with the time away, the
addresses and devices seen, the flags) and what the staff did to the attempt (the audit
trail: pauses, extensions, unlocks, notes). Once the sitting's retention period has passed,
the report says the detail was purged and the review is all that remains.

The timeline (events and staff actions in one list, oldest first) and a proctor's note are
the same here for the report page, its PDF and the proctor's live console.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.clock import iso
from ardoise.errors import Conflict, Invalid
from exam_engine.models import Attempt, Sitting
from proctoring.events import DETAIL_KEYS, events_of, flags_of
from proctoring.models import IntegrityEvent, IntegrityReview, IntegrityTally
from student_records import service as records
from student_records.models import AuditEntry, Person

STATUSES = ("not_reviewed", "no_issue", "suspicious", "violation")
MAX_NOTE = 4000
#: A proctor's note on an attempt (in the audit trail, shown in its timeline).
MAX_PROCTOR_NOTE = 2000
#: Staff actions on an attempt that belong in its integrity report.
REPORTED_ACTIONS = ("pause", "resume", "extend", "unlock", "note", "announce_one", "end_attempt")
#: What a staff action shows of its audit detail in a timeline (never the student's id).
ACTION_DETAIL_KEYS = ("text", "minutes", "percent")


@dataclass
class IntegrityReport:
    attempt: Attempt
    student: Person
    review: IntegrityReview
    events: list[IntegrityEvent] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    away_ms: int = 0
    longest_away_ms: int = 0
    suppressed: int = 0
    addresses: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def purged(self) -> bool:
        return self.review.purged_at is not None


def get_review(session: Session, attempt: Attempt) -> IntegrityReview:
    """The attempt's review (a ``not_reviewed`` one, not yet stored, when there is none)."""
    review = session.get(IntegrityReview, attempt.id)
    if review is None:
        review = IntegrityReview(attempt_id=attempt.id, sitting_id=attempt.sitting_id,
                                 status="not_reviewed", note="", second_note="")
    return review


def record_review(session: Session, attempt: Attempt, reviewer: Person, status: str,
                  note: str, now: datetime, *, second: bool = False) -> IntegrityReview:
    """A person's review of the attempt; ``second`` records a second review, by someone
    other than the first reviewer, once there is a first. Audited by the caller."""
    if status not in STATUSES[1:]:
        raise Invalid("review_invalid", field="status")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid("review_invalid", field="note")
    if status in ("suspicious", "violation") and not note:
        raise Invalid("review_invalid", field="note")  # a finding says what was seen
    review = session.get(IntegrityReview, attempt.id)
    if review is None:
        review = get_review(session, attempt)
        session.add(review)
    if second:
        if review.reviewed_by is None:
            raise Conflict("review_first_missing")
        if review.reviewed_by == reviewer.id:
            raise Conflict("review_same_person")
        review.second_status, review.second_note = status, note
        review.second_by, review.second_at = reviewer.id, now
    else:
        review.status, review.note = status, note
        review.reviewed_by, review.reviewed_at = reviewer.id, now
    session.flush()
    return review


def _actions(session: Session, attempt_id: str) -> list[dict[str, Any]]:
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.object_id == attempt_id,
        AuditEntry.action.in_(REPORTED_ACTIONS)).order_by(AuditEntry.at, AuditEntry.id))
    people: dict[str | None, str] = {}
    actions = []
    for entry in entries:
        if entry.actor_id not in people:
            actor = session.get(Person, entry.actor_id) if entry.actor_id else None
            people[entry.actor_id] = actor.display_name if actor else ""
        try:
            detail = json.loads(entry.detail or "{}")
        except ValueError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        actions.append({"at": entry.at, "action": entry.action,
                        "by": people[entry.actor_id], "detail": detail})
    return actions


def add_note(session: Session, sitting: Sitting, attempt: Attempt, author: Person,
             text: str) -> str:
    """A proctor's note on the attempt, kept in the audit trail; returns the text kept.

    :raises Invalid: an empty note or one longer than ``MAX_PROCTOR_NOTE`` (``note_invalid``).
    """
    text = text.strip()
    if not text or len(text) > MAX_PROCTOR_NOTE:
        raise Invalid("note_invalid", field="text")
    records.audit(session, author, "note", "attempt", attempt.id, sitting.organisation_id,
                  text=text)
    session.flush()
    return text


def _timeline(events: list[IntegrityEvent],
              actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [{"at": e.server_at, "client_at": e.client_at, "kind": e.type,
                "source": e.source, "severity": e.severity, "by": "",
                "duration_ms": e.duration_ms,
                "detail": {k: v for k, v in (e.detail or {}).items()
                           if k in DETAIL_KEYS.get(e.type, ())}}
               for e in events]
    entries += [{"at": a["at"], "client_at": None, "kind": a["action"], "source": "staff",
                 "severity": "staff", "by": a["by"], "duration_ms": None,
                 "detail": {k: v for k, v in dict(a["detail"]).items()
                            if k in ACTION_DETAIL_KEYS}}
                for a in actions]
    return sorted(entries, key=lambda entry: entry["at"])


def timeline(found: IntegrityReport) -> list[dict[str, Any]]:
    """The report's events and staff actions in one list, oldest first. Each entry has
    ``at`` (the server's time), ``client_at``, ``kind``, ``source`` (client, server or
    staff), ``severity`` (staff for an action), ``by``, ``duration_ms`` (the time away, on
    the event that ends an absence) and ``detail`` (only the keys its kind may show)."""
    return _timeline(found.events, found.actions)


def attempt_timeline(session: Session, attempt: Attempt) -> list[dict[str, Any]]:
    """The attempt's timeline (see :func:`timeline`) without the rest of its report."""
    return _timeline(events_of(session, attempt.id), _actions(session, attempt.id))


def report(session: Session, attempt: Attempt) -> IntegrityReport:
    student = records.get_person(session, attempt.student_id)
    found = IntegrityReport(attempt, student, get_review(session, attempt))
    found.events = events_of(session, attempt.id)
    found.flags = [f.rule for f in flags_of(session, attempt.id)]
    tally = session.get(IntegrityTally, attempt.id)
    if tally is not None:
        found.away_ms, found.longest_away_ms = tally.away_ms, tally.longest_away_ms
        found.suppressed = tally.suppressed
    addresses: list[str] = []
    for event in found.events:
        if event.type == "ip_change":
            for key in ("from", "to"):
                value = str(event.detail.get(key) or "")
                if value and (not addresses or addresses[-1] != value):
                    addresses.append(value)
        elif event.type in ("new_device", "new_session"):
            device = str(event.detail.get("device") or "")
            if device and device not in found.devices:
                found.devices.append(device)
    if not addresses and tally is not None and tally.last_address:
        addresses.append(tally.last_address)
    found.addresses = addresses
    found.actions = _actions(session, attempt.id)
    return found


CSV_HEADER = ("username", "name", "attempt_id", "state", "flags", "focus_losses",
              "away_seconds", "longest_away_seconds", "copy_paste", "ip_changes",
              "new_devices", "suppressed_events", "review", "review_note", "reviewed_at",
              "second_review", "second_note", "detail_purged")


def sitting_csv(session: Session, sitting: Sitting) -> str:
    """One row per attempt of the sitting: its counts, flags and reviews."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    rows = session.execute(select(Attempt, Person).join(Person, Person.id == Attempt.student_id)
                           .where(Attempt.sitting_id == sitting.id)
                           .order_by(Person.username)).all()
    for attempt, person in rows:
        found = report(session, attempt)
        tally = session.get(IntegrityTally, attempt.id)
        counts = dict(tally.counts or {}) if tally else {}
        review = found.review
        writer.writerow([
            person.username, person.display_name, attempt.id, attempt.state.value,
            " ".join(found.flags), counts.get("away", 0), round(found.away_ms / 1000),
            round(found.longest_away_ms / 1000),
            sum(counts.get(k, 0) for k in ("copy", "paste", "cut")),
            counts.get("ip_change", 0), counts.get("new_device", 0), found.suppressed,
            review.status, review.note, iso(review.reviewed_at) or "",
            review.second_status or "", review.second_note, "yes" if found.purged else "no"])
    return out.getvalue()
