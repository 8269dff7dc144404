"""Building real objects through the services, as a school would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from exam_engine import exams, sittings
from exam_engine.models import DisplayMode, Exam, Sitting
from item_bank import service as items
from student_records import service as records
from student_records.models import Organisation, OrgKind, Person, Role, SchoolClass

PASSWORD = "correct-horse-9"

ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("single_choice", {"stem": {"fr": "Capitale?", "en": "Capital?"},
                       "options": [{"id": "a", "text": {"fr": "Ottawa"}},
                                   {"id": "b", "text": {"fr": "Toronto"}},
                                   {"id": "c", "text": {"fr": "Montréal"}}],
                       "correct": "a"}),
    ("multiple_response", {"stem": {"fr": "Premiers?"},
                           "options": [{"id": "a", "text": {"fr": "2"}},
                                       {"id": "b", "text": {"fr": "4"}},
                                       {"id": "c", "text": {"fr": "5"}}],
                           "correct": ["a", "c"], "points": 2}),
    ("true_false", {"stem": {"fr": "1 + 1 = 2"}, "correct": True}),
    ("numeric", {"stem": {"fr": "π?"}, "answer": 3.1416, "tolerance": 0.01}),
    ("short_text", {"stem": {"fr": "Fleuve?"}, "answers": ["Saint-Laurent"],
                    "ignore_accents": True}),
]

# The right response for each item above, and a wrong one.
RIGHT = [{"choice": "a"}, {"choices": ["a", "c"]}, {"value": True}, {"value": "3,14"},
         {"text": "saint-laurent"}]
WRONG = [{"choice": "b"}, {"choices": ["b"]}, {"value": False}, {"value": "2"},
         {"text": "Fraser"}]


@dataclass
class School:
    board: Organisation
    school: Organisation
    klass: SchoolClass
    teacher: Person
    proctor: Person
    grader: Person
    admin: Person
    students: list[Person]
    exam: Exam
    item_version_ids: list[str] = field(default_factory=list)


def make_school(session: Session, prefix: str = "", students: int = 3) -> School:
    board = records.create_organisation(session, f"{prefix}Board", OrgKind.BOARD)
    school = records.create_organisation(session, f"{prefix}School", OrgKind.SCHOOL, board)
    klass = records.create_class(session, school, f"{prefix}Math 4", f"{prefix}MAT4")

    def person(name: str, role: Role, org: Organisation) -> Person:
        p = records.create_person(session, f"{prefix}{name}", password=PASSWORD,
                                  given_name=name.title(), family_name="Test")
        records.assign_role(session, p, role, org)
        return p

    teacher = person("teacher", Role.TEACHER, school)
    records.enrol(session, klass, teacher, Role.TEACHER)
    pupils = []
    for n in range(students):
        student = person(f"student{n}", Role.STUDENT, school)
        records.enrol(session, klass, student, Role.STUDENT)
        pupils.append(student)
    version_ids = [items.create_item(session, school.id, kind, f"Q{i}", content,
                                     author_id=teacher.id).id
                   for i, (kind, content) in enumerate(ITEMS)]
    item_ids = [items.get_version(session, v).item_id for v in version_ids]
    exam = exams.create_exam(session, school.id, f"{prefix}Exam", teacher.id, item_ids)
    return School(board, school, klass, teacher, person("proctor", Role.PROCTOR, school),
                  person("grader", Role.GRADER, school), person("admin", Role.ADMIN, board),
                  pupils, exam, version_ids)


def open_sitting(session: Session, world: School, *, time_limit: int | None = 3600,
                 opens: datetime | None = None, closes: datetime | None = None,
                 access_code: str | None = None, class_wide: bool = True,
                 candidates: list[str] | None = None) -> Sitting:
    now = utcnow()
    return sittings.schedule_sitting(
        session, world.exam, title="Sitting", opens_at=opens or now - timedelta(minutes=1),
        closes_at=closes or now + timedelta(hours=2), time_limit_seconds=time_limit,
        class_id=world.klass.id if class_wide else None, candidate_ids=candidates,
        access_code=access_code, display_mode=DisplayMode.ONE_PER_SCREEN,
        author_id=world.teacher.id)
