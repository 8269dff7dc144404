"""Scheduling sittings, who may take them, and the teacher's view of their progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ardoise.errors import Conflict, Invalid, NotFound
from exam_engine.exams import question_count
from exam_engine.models import (
    Attempt,
    AttemptSlot,
    AttemptState,
    DisplayMode,
    Exam,
    ExamItem,
    Sitting,
    SittingCandidate,
)
from student_records import service as records
from student_records.models import Enrolment, Person, Role


def schedule_sitting(
    session: Session, exam: Exam, *, title: str, opens_at: datetime, closes_at: datetime,
    time_limit_seconds: int | None, class_id: str | None = None,
    candidate_ids: list[str] | None = None, access_code: str | None = None,
    display_mode: DisplayMode = DisplayMode.ONE_PER_SCREEN, author_id: str | None = None,
) -> Sitting:
    """Schedule ``exam`` for a class, for chosen students, or both."""
    if closes_at <= opens_at:
        raise Invalid("sitting_invalid", field="closes_at")
    if time_limit_seconds is not None and time_limit_seconds <= 0:
        raise Invalid("sitting_invalid", field="time_limit")
    if not class_id and not candidate_ids:
        raise Invalid("sitting_invalid", field="class_id")
    if not session.scalar(select(func.count()).where(ExamItem.exam_id == exam.id)):
        raise Invalid("sitting_invalid", field="exam_empty")
    if class_id:
        klass = records.get_class(session, class_id)
        if klass.school_id != exam.organisation_id:
            raise Invalid("sitting_invalid", field="class_id")
    sitting = Sitting(
        exam_id=exam.id, organisation_id=exam.organisation_id, class_id=class_id,
        title=title.strip() or exam.title, opens_at=opens_at, closes_at=closes_at,
        time_limit_seconds=time_limit_seconds, access_code=(access_code or "").strip() or None,
        display_mode=display_mode, created_by=author_id,
    )
    session.add(sitting)
    session.flush()
    for person_id in dict.fromkeys(candidate_ids or []):
        person = records.get_person(session, person_id)
        if not records.has_role(person, Role.STUDENT, exam.organisation_id):
            raise Invalid("sitting_invalid", field="candidates")
        session.add(SittingCandidate(sitting_id=sitting.id, person_id=person_id))
    session.flush()
    return sitting


def get_sitting(session: Session, sitting_id: str) -> Sitting:
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("sitting_not_found")
    return sitting


def is_candidate(session: Session, sitting: Sitting, person_id: str) -> bool:
    """Whether ``person_id`` is called to this sitting (by class or by name)."""
    if sitting.class_id and session.scalar(
        select(Enrolment.id).where(
            Enrolment.class_id == sitting.class_id, Enrolment.person_id == person_id,
            Enrolment.role == Role.STUDENT,
        )
    ):
        return True
    return bool(
        session.scalar(
            select(SittingCandidate.id).where(
                SittingCandidate.sitting_id == sitting.id, SittingCandidate.person_id == person_id
            )
        )
    )


def candidates(session: Session, sitting: Sitting) -> list[Person]:
    """The students called to the sitting (its class's and those chosen one by one), by
    family name, given name and username."""
    rows = candidate_rows(session, sitting)
    people = {p.id: p for p in session.scalars(
        select(Person).where(Person.id.in_([r.id for r in rows])))} if rows else {}
    return [people[r.id] for r in rows]


def candidate_rows(session: Session, sitting: Sitting) -> list[Row[Any]]:
    """The sitting's candidates as plain rows (``id``, ``username``, ``given_name``,
    ``family_name``), in :func:`candidates`' order: the proctor's table reads them every
    few seconds, without building a person object each."""
    columns = (Person.id, Person.username, Person.given_name, Person.family_name)
    people: dict[str, Any] = {}
    if sitting.class_id:
        for row in session.execute(select(*columns).join(
                Enrolment, Enrolment.person_id == Person.id).where(
                Enrolment.class_id == sitting.class_id, Enrolment.role == Role.STUDENT)):
            people[row.id] = row
    for row in session.execute(select(*columns).join(
            SittingCandidate, SittingCandidate.person_id == Person.id).where(
            SittingCandidate.sitting_id == sitting.id)):
        people[row.id] = row
    return sorted(people.values(), key=lambda p: (p.family_name, p.given_name, p.username))


def sittings_for_student(session: Session, person_id: str) -> list[Sitting]:
    """Every sitting the student is called to, soonest first."""
    class_ids = select(Enrolment.class_id).where(
        Enrolment.person_id == person_id, Enrolment.role == Role.STUDENT
    )
    chosen = select(SittingCandidate.sitting_id).where(SittingCandidate.person_id == person_id)
    return list(
        session.scalars(
            select(Sitting)
            .where(or_(Sitting.class_id.in_(class_ids), Sitting.id.in_(chosen)))
            .order_by(Sitting.opens_at)
        )
    )


def is_open(sitting: Sitting, now: datetime) -> bool:
    return sitting.opens_at <= now < sitting.closes_at


def sittings_of(session: Session, organisation_ids: set[str]) -> list[Sitting]:
    return list(
        session.scalars(
            select(Sitting).where(Sitting.organisation_id.in_(organisation_ids))
            .order_by(Sitting.opens_at.desc())
        )
    )


def release_results(session: Session, sitting: Sitting, now: datetime) -> None:
    if sitting.released_at is not None:
        raise Conflict("already_released")
    sitting.released_at = now


@dataclass(frozen=True)
class CandidateProgress:
    person_id: str
    username: str
    name: str
    attempt_id: str | None
    state: str  # not_started, in_progress, paused, submitted
    answered: int
    total: int
    last_saved_at: datetime | None
    deadline: datetime | None
    score: float | None
    max_score: float | None
    paused_at: datetime | None = None  # paused or locked: the clock stopped then


def progress(session: Session, sitting: Sitting) -> list[CandidateProgress]:
    """Who is in progress, how far, and who has submitted.

    Read as plain rows (no ORM objects: a proctor's table of 2,000 students refreshes every
    few seconds, and one web process serves it between the students' saves).
    """
    attempts = {row.student_id: row for row in session.execute(
        select(Attempt.id, Attempt.student_id, Attempt.state, Attempt.locked_at,
               Attempt.paused_at, Attempt.deadline, Attempt.score, Attempt.max_score)
        .where(Attempt.sitting_id == sitting.id))}
    answered = case((and_(AttemptSlot.response.is_not(None), AttemptSlot.seq > 0), 1), else_=0)
    slots = {row.attempt_id: row for row in session.execute(
        select(AttemptSlot.attempt_id, func.sum(answered).label("answered"),
               func.max(AttemptSlot.saved_at).label("last_saved_at"))
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.sitting_id == sitting.id)
        .group_by(AttemptSlot.attempt_id))}
    total = question_count(session, sitting.exam_id)
    rows = []
    for person in candidate_rows(session, sitting):
        attempt = attempts.get(person.id)
        mine = slots.get(attempt.id) if attempt is not None else None
        if attempt is None:
            state = "not_started"
        elif attempt.state is AttemptState.SUBMITTED:
            state = "submitted"
        elif attempt.locked_at is not None:
            state = "locked"
        else:
            state = "paused" if attempt.paused_at else "in_progress"
        rows.append(
            CandidateProgress(
                person_id=person.id, username=person.username,
                name=Person.name_of(person.given_name, person.family_name, person.username),
                attempt_id=attempt.id if attempt else None, state=state,
                answered=int(mine.answered or 0) if mine else 0, total=total,
                last_saved_at=mine.last_saved_at if mine else None,
                deadline=attempt.deadline if attempt else None,
                score=attempt.score if attempt else None,
                max_score=attempt.max_score if attempt else None,
                paused_at=attempt.paused_at if attempt else None,
            )
        )
    return rows
