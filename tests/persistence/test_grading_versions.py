"""Grading reads item versions from the process's cache: a revision never leaks into it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, exams, grading, sittings
from exam_engine.models import AttemptSlot
from item_bank import service as items
from tests.factories import make_school

CHOICE = {"stem": {"fr": "Capitale?"}, "correct": "a",
          "options": [{"id": "a", "text": {"fr": "Ottawa"}}, {"id": "b", "text": {"fr": "Hull"}}]}


def test_each_attempt_is_scored_with_the_key_of_the_version_it_showed(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        first = items.create_item(session, world.school.id, "single_choice", "Capitale",
                                  CHOICE, author_id=world.teacher.id)
        now = utcnow()

        def sit(title: str) -> str:
            exam = exams.create_exam(session, world.school.id, title, world.teacher.id,
                                     [first.item_id])
            return sittings.schedule_sitting(
                session, exam, title=title, opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=1), time_limit_seconds=600,
                class_id=world.klass.id, author_id=world.teacher.id).id

        def answer_b_and_grade(sitting_id: str, student_index: int) -> AttemptSlot:
            student = world.students[student_index]
            attempt = attempts.start_or_resume(session, sitting_id, student.id, now)
            answer_log.save(session, attempt.id, student.id, slot=0, seq=1,
                            response={"choice": "b"}, now=now, grace_seconds=2.0)
            attempts.submit(session, attempts.get_attempt(session, attempt.id, for_update=True),
                            now, "student", 2.0)
            grading.grade_attempt(session, attempt.id, now)
            return session.scalars(select(AttemptSlot).where(
                AttemptSlot.attempt_id == attempt.id)).one()

        before = sit("Avant")
        # Graded first, so the cache holds version 1 (key "a") when version 2 is written.
        old = answer_b_and_grade(before, 0)
        assert (old.points, old.correct) == (0.0, False)

        second = items.revise_item(session, first.item_id, {**CHOICE, "correct": "b"},
                                   author_id=world.teacher.id)
        new = answer_b_and_grade(sit("Après"), 1)
        assert new.item_version_id == second.id != old.item_version_id
        assert (new.points, new.correct) == (1.0, True)

        # Regrading the earlier attempt still uses the version its student saw.
        grading.grade_attempt(session, old.attempt_id, now)
        assert (old.points, old.correct) == (0.0, False)
