"""An item's usage history: exams per version, sittings per version with their success."""

from __future__ import annotations

from datetime import timedelta

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, exams, grading, sittings
from exam_engine.usage import item_usage
from item_bank import service as items
from tests.factories import make_school

CHOICE = {"stem": {"fr": "Capitale?"}, "correct": "a",
          "options": [{"id": "a", "text": {"fr": "Ottawa"}}, {"id": "b", "text": {"fr": "Hull"}}]}


def test_usage_counts_attempts_and_right_answers_per_sitting_and_version(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=3)
        first = items.create_item(session, world.school.id, "single_choice", "Capitale",
                                  CHOICE, author_id=world.teacher.id)
        item_id = first.item_id
        now = utcnow()

        def sit(school_world, title: str, minutes_ago: int) -> str:  # type: ignore[no-untyped-def]
            exam = exams.create_exam(session, school_world.school.id, f"Examen {title}",
                                     school_world.teacher.id, [item_id])
            return sittings.schedule_sitting(
                session, exam, title=title, opens_at=now - timedelta(minutes=minutes_ago),
                closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
                class_id=school_world.klass.id, author_id=school_world.teacher.id).id

        def answer(sitting_id: str, student_id: str, choice: str | None, when_ago: int,
                   grade: bool = True) -> None:
            at = now - timedelta(minutes=when_ago)
            attempt = attempts.start_or_resume(session, sitting_id, student_id, at)
            if choice is not None:
                answer_log.save(session, attempt.id, student_id, slot=0, seq=1,
                                response={"choice": choice}, now=at, grace_seconds=2.0)
            if grade:
                attempts.submit(session, attempts.get_attempt(session, attempt.id,
                                                              for_update=True),
                                at, "student", 2.0)
                grading.grade_attempt(session, attempt.id, at)

        early = sit(world, "Automne", 60)
        answer(early, world.students[0].id, "a", 50)
        answer(early, world.students[1].id, "b", 49)
        answer(early, world.students[2].id, "a", 48, grade=False)  # still writing

        items.revise_item(session, item_id, {**CHOICE, "correct": "b"},
                          author_id=world.teacher.id)
        late = sit(world, "Hiver", 30)
        answer(late, world.students[0].id, "b", 20)

        usage = item_usage(session, item_id, {world.school.id})
        assert [(e.exam_title, e.version) for e in usage.exams] == [
            ("Examen Hiver", 2), ("Examen Automne", 1)]
        rows = [(s.sitting_title, s.version, s.attempts, s.graded, s.correct)
                for s in usage.sittings]
        assert rows == [("Hiver", 2, 1, 1, 1), ("Automne", 1, 3, 2, 1)]
        autumn = usage.sittings[1]
        assert autumn.rate == 0.5 and autumn.first_seen < autumn.last_seen
        assert autumn.last_seen.tzinfo is not None
        assert usage.attempts == 4

        # Staff of other organisations do not learn which of this school's sittings used it.
        outside = item_usage(session, item_id, {world.board.id})
        assert (outside.exams, outside.sittings) == ([], [])


def test_an_unused_item_has_an_empty_history(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        version = items.create_item(session, world.school.id, "single_choice", "Seule",
                                    CHOICE, author_id=world.teacher.id)
        usage = item_usage(session, version.item_id, {world.school.id})
        assert (usage.exams, usage.sittings, usage.attempts) == ([], [], 0)
