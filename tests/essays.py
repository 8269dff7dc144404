"""A sitting holding an essay, taken and graded by three students: the marking tests' world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from exam_engine import answer_log, attempts, exams, grading, sittings
from exam_engine.models import Sitting
from item_bank import service as items
from tests.factories import School, make_school

ESSAY = {"stem": {"fr": "Décrivez le fleuve."}, "rubric": {"fr": "3 idées, 1 point chacune"},
         "points": 5}
TRUE_FALSE = {"stem": {"fr": "1 + 1 = 2"}, "correct": True}


@dataclass
class EssaySitting:
    world: School
    sitting: Sitting
    written: str  # attempt with an essay to mark
    other: str  # a second attempt with an essay to mark
    blank: str  # an attempt whose essay is empty: nothing to mark


def essay_sitting(session: Session, prefix: str = "") -> EssaySitting:
    world = make_school(session, prefix=prefix, students=3)
    item_ids = [items.get_version(session, items.create_item(
        session, world.school.id, kind, kind, content, author_id=world.teacher.id).id).item_id
        for kind, content in (("extended_text", ESSAY), ("true_false", TRUE_FALSE))]
    exam = exams.create_exam(session, world.school.id, "Essai", world.teacher.id, item_ids,
                             shuffle_questions=False)
    now = utcnow()
    sitting = sittings.schedule_sitting(
        session, exam, title="Essai", opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1), time_limit_seconds=600,
        class_id=world.klass.id, author_id=world.teacher.id)
    ids = []
    for student, essay in zip(world.students, ({"text": "Le <b>Saint-Laurent</b>."},
                                               {"text": "Un fleuve."}, None), strict=True):
        attempt_id = attempts.start_or_resume(session, sitting.id, student.id, now).id
        answer_log.save(session, attempt_id, student.id, slot=0, seq=1, response=essay, now=now,
                        grace_seconds=2.0)
        answer_log.save(session, attempt_id, student.id, slot=1, seq=2, response={"value": True},
                        now=now, grace_seconds=2.0)
        attempts.submit(session, attempts.get_attempt(session, attempt_id, for_update=True), now,
                        "student", 2.0)
        grading.grade_attempt(session, attempt_id, now)
        ids.append(attempt_id)
    return EssaySitting(world, sitting, *ids)
