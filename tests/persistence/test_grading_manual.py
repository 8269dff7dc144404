"""Grading an attempt that holds an essay: awaiting a grader is neither right nor wrong."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, exams, grading, sittings
from exam_engine.models import AttemptSlot
from item_bank import service as items
from tests.factories import make_school

ESSAY = {"stem": {"fr": "Décrivez."}, "rubric": {"fr": "pour les correcteurs"}, "points": 5}
HOT = {"stem": {"fr": "Les verbes?"}, "passage": {"fr": "Il [[a:court]] et [[b:vite]] [[c:rit]]."},
       "correct": ["a", "c"], "points": 2}


def test_an_essay_awaits_a_grader_and_the_rest_totals(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, kind, content, author_id=world.teacher.id).id).item_id
            for kind, content in (("extended_text", ESSAY), ("hot_text", HOT))]
        exam = exams.create_exam(session, world.school.id, "Essai", world.teacher.id, item_ids,
                                 shuffle_questions=False)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, exam, title="Essai", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=600,
            class_id=world.klass.id, author_id=world.teacher.id)
        written, blank = (attempts.start_or_resume(session, sitting.id, s.id, now).id
                          for s in world.students)
        for attempt_id, student, essay in ((written, world.students[0], {"text": "Un texte."}),
                                           (blank, world.students[1], None)):
            answer_log.save(session, attempt_id, student.id, slot=0, seq=1, response=essay,
                            now=now, grace_seconds=2.0)
            answer_log.save(session, attempt_id, student.id, slot=1, seq=2,
                            response={"selected": ["a"]}, now=now, grace_seconds=2.0)
            attempts.submit(session, attempts.get_attempt(session, attempt_id, for_update=True),
                            now, "student", 2.0)
            grading.grade_attempt(session, attempt_id, now)

        def slots(attempt_id: str) -> list[AttemptSlot]:
            return list(session.scalars(select(AttemptSlot).where(
                AttemptSlot.attempt_id == attempt_id).order_by(AttemptSlot.slot)))

        essay_slot, hot_slot = slots(written)
        assert (essay_slot.points, essay_slot.correct, essay_slot.max_points) == (None, None, 5)
        assert (hot_slot.points, hot_slot.correct) == (1.0, False)
        graded = attempts.get_attempt(session, written)
        assert (graded.score, graded.max_score) == (1.0, 7.0)
        # Nothing written: nothing to mark, so the essay is simply 0.
        empty_essay, _ = slots(blank)
        assert (empty_essay.points, empty_essay.correct) == (0.0, False)
