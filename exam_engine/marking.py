"""Manual marks: a teacher or grader awards points and a comment to a manually graded answer.

Until the full marking workflow (double marking, queues) exists, this is how an exam
holding essays gets totalled: grading leaves each such answer awaiting marking, a person
marks it here, and the attempt is fully graded once no answer awaits marking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ardoise.errors import Forbidden, Invalid, NotFound
from exam_engine.attempts import slots_of
from exam_engine.models import Attempt, AttemptSlot, AttemptState, Sitting
from exam_engine.sittings import get_sitting
from item_bank.models import Item, ItemVersion
from item_bank.variants import slot_content
from student_records import service as records
from student_records.models import Person, Role

MARKING_ROLES = (Role.TEACHER, Role.GRADER)
MAX_COMMENT = 2000
# Half and quarter points are common on a rubric; finer than a hundredth is a typo.
POINT_DECIMALS = 2


def may_mark(person: Person, sitting: Sitting) -> bool:
    """A teacher or a grader of the sitting's school; never a student, a proctor or an admin."""
    return sitting.organisation_id in records.schools_where(person, MARKING_ROLES)


def parse_points(text: str | float | Decimal, max_points: float) -> float:
    """Points as typed (``2,5`` or ``2.5``), checked to lie in 0..``max_points``."""
    raw = "".join(str(text).split()).replace("\u202f", "").replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid("mark_invalid") from None
    if not value.is_finite():
        raise Invalid("mark_invalid")
    if value < 0 or value > Decimal(str(max_points)):
        raise Invalid("mark_points_range", max=f"{max_points:g}")
    if value != value.quantize(Decimal(1).scaleb(-POINT_DECIMALS)):
        raise Invalid("mark_invalid")
    return float(value)


def clean_comment(text: str | None) -> str | None:
    comment = (text or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid("mark_comment_too_long", max=MAX_COMMENT)
    return comment or None


def response_text(response: Any) -> str:
    """What the student wrote, as plain text (the page escapes it)."""
    if response is None:
        return ""
    if file_reference(response) is not None:
        return str(response["name"])
    if isinstance(response, dict) and isinstance(response.get("text"), str):
        return str(response["text"])
    return json.dumps(response, ensure_ascii=False, sort_keys=True)


def file_reference(response: Any) -> dict[str, Any] | None:
    """The reference a file-upload answer holds (``file``, ``name``, ``size``, ``kind``)."""
    if isinstance(response, dict) and isinstance(response.get("file"), str) and \
            isinstance(response.get("name"), str):
        return dict(response)
    return None


@dataclass(frozen=True)
class AnswerToMark:
    attempt_id: str
    slot: int
    student_name: str
    student_username: str
    response_text: str
    max_points: float
    points: float | None
    comment: str | None
    marked_at: datetime | None
    marked_by: str | None  # display name of the last person who marked it
    file: dict[str, Any] | None = None  # a file-upload answer's reference: name, size, kind
    # A parametrised item's question as this student saw it (their variant's stem).
    variant_stem: dict[str, str] | None = None

    @property
    def awaiting(self) -> bool:
        return self.marked_at is None


@dataclass(frozen=True)
class QuestionToMark:
    """One manually graded question of the exam and every answer given to it."""

    item_version_id: str
    position: int
    title: str
    stem: dict[str, str]
    rubric: dict[str, str]  # for graders only: never part of what a student receives
    answers: list[AnswerToMark]

    @property
    def awaiting(self) -> int:
        return sum(1 for a in self.answers if a.awaiting)


@dataclass(frozen=True)
class MarkingProgress:
    marked: int
    total: int
    attempts_awaiting: int = 0  # attempts with at least one answer still to mark

    @property
    def awaiting(self) -> int:
        return self.total - self.marked


@dataclass(frozen=True)
class MarkingSheet:
    sitting_id: str
    title: str
    questions: list[QuestionToMark]
    progress: MarkingProgress


def _manual_slots(sitting_id: str) -> Any:
    """Manually graded answers of the sitting's graded attempts."""
    return (select(AttemptSlot, Attempt)
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .where(Attempt.sitting_id == sitting_id, Attempt.graded_at.is_not(None),
                   AttemptSlot.manual.is_(True)))


def marking_progress(session: Session, sitting: Sitting) -> MarkingProgress:
    """How many manually graded answers of the sitting are marked, out of how many."""
    marked, total = session.execute(
        select(func.count(AttemptSlot.marked_at), func.count())
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.sitting_id == sitting.id, Attempt.graded_at.is_not(None),
               AttemptSlot.manual.is_(True))
    ).one()
    attempts_awaiting = session.scalar(
        select(func.count()).where(Attempt.sitting_id == sitting.id,
                                   Attempt.graded_at.is_not(None), Attempt.awaiting_marks > 0))
    return MarkingProgress(int(marked or 0), int(total or 0), int(attempts_awaiting or 0))


def marking_sheet(session: Session, person: Person, sitting_id: str) -> MarkingSheet:
    """Every manually graded answer of the sitting, grouped by question in exam order."""
    sitting = get_sitting(session, sitting_id)
    if not may_mark(person, sitting):
        raise Forbidden("forbidden")
    rows = session.execute(_manual_slots(sitting.id)).all()
    students = {p.id: p for p in session.scalars(
        select(Person).where(Person.id.in_({a.student_id for _s, a in rows})))}
    markers = {p.id: p.display_name for p in session.scalars(
        select(Person).where(Person.id.in_({s.marked_by for s, _a in rows if s.marked_by})))}
    positions = {slot.item_version_id: slot.exam_position for slot, _a in rows
                 if slot.exam_position is not None}
    versions = {v.id: (v, title) for v, title in session.execute(
        select(ItemVersion, Item.title).join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_({s.item_version_id for s, _a in rows})))}
    by_version: dict[str, list[AnswerToMark]] = {}
    for s, attempt in rows:
        student = students[attempt.student_id]
        by_version.setdefault(s.item_version_id, []).append(AnswerToMark(
            attempt_id=attempt.id, slot=s.slot, student_name=student.display_name,
            student_username=student.username, response_text=response_text(s.response),
            max_points=s.max_points or 0.0, points=s.points if s.marked_at else None,
            comment=s.mark_comment, marked_at=s.marked_at,
            marked_by=markers.get(s.marked_by or ""), file=file_reference(s.response),
            variant_stem=dict(slot_content(session, s.item_version_id, s.variant)[1]
                              .get("stem") or {}) if s.variant else None,
        ))
    questions = []
    for version_id, answers in by_version.items():
        version, title = versions[version_id]
        answers.sort(key=lambda a: (a.student_name.casefold(), a.student_username))
        questions.append(QuestionToMark(
            item_version_id=version_id, position=positions.get(version_id, len(positions)),
            title=title, stem=dict(version.content.get("stem") or {}),
            rubric=dict(version.content.get("rubric") or {}), answers=answers,
        ))
    questions.sort(key=lambda q: (q.position, q.title))
    total = sum(len(q.answers) for q in questions)
    awaiting = sum(q.awaiting for q in questions)
    attempts_awaiting = len({a.attempt_id for q in questions for a in q.answers if a.awaiting})
    return MarkingSheet(sitting.id, sitting.title, questions,
                        MarkingProgress(total - awaiting, total, attempts_awaiting))


@dataclass(frozen=True)
class MarkOutcome:
    attempt_id: str
    slot: int
    points: float
    score: float
    max_score: float
    awaiting_marks: int

    @property
    def fully_graded(self) -> bool:
        return self.awaiting_marks == 0


def award_mark(
    session: Session, person: Person, sitting_id: str, attempt_id: str, slot: int,
    points: str | float | Decimal, comment: str | None, now: datetime,
) -> MarkOutcome:
    """Mark one answer (or mark it again: the new mark replaces the old, the audit log keeps both).

    Who asks is checked against the sitting's school before anything about the attempt is
    revealed; an attempt of another sitting, or an answer no person marks, is not found.
    """
    sitting = get_sitting(session, sitting_id)
    if not may_mark(person, sitting):
        raise Forbidden("forbidden")
    # The row lock serialises two graders marking answers of the same attempt.
    attempt = session.scalar(select(Attempt).where(
        Attempt.id == attempt_id, Attempt.sitting_id == sitting.id).with_for_update())
    if attempt is None or attempt.state is not AttemptState.SUBMITTED or \
            attempt.graded_at is None:
        raise NotFound("answer_not_found")
    slots = slots_of(session, attempt.id)
    target = next((s for s in slots if s.slot == slot and s.manual), None)
    if target is None:
        raise NotFound("answer_not_found")
    value = parse_points(points, target.max_points or 0.0)
    text = clean_comment(comment)
    previous = {"points": target.points, "comment": target.mark_comment,
                "marked_by": target.marked_by} if target.marked_at else None
    target.points = value
    target.correct = value >= (target.max_points or 0.0)
    target.mark_comment = text
    target.marked_by = person.id
    target.marked_at = now
    attempt.score = round(sum(s.points or 0.0 for s in slots), 4)
    attempt.awaiting_marks = sum(1 for s in slots if s.awaiting_marking)
    records.audit(session, person, "remark_answer" if previous else "mark_answer", "attempt",
                  attempt.id, sitting.organisation_id, slot=slot, points=value, comment=text,
                  previous=previous)
    session.flush()
    return MarkOutcome(attempt.id, slot, value, attempt.score, attempt.max_score or 0.0,
                       attempt.awaiting_marks)
