"""Manual marks: who may mark, what a mark may be, and how the attempt's total follows."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Forbidden, Invalid, NotFound
from exam_engine import answer_log, attempts, exams, grading, marking, reports, sittings
from exam_engine.models import Attempt
from item_bank import service as items
from student_records import service as records
from student_records.models import AuditEntry, Person, Role
from tests.essays import essay_sitting
from tests.factories import make_school


def test_the_sheet_lists_answers_awaiting_marking_with_the_rubric(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        sheet = marking.marking_sheet(session, made.world.teacher, made.sitting.id)
        assert (sheet.progress.marked, sheet.progress.total) == (0, 2)
        assert sheet.progress.attempts_awaiting == 2
        [question] = sheet.questions
        assert question.rubric == {"fr": "3 idées, 1 point chacune"}
        assert question.position == 0 and question.awaiting == 2
        texts = {a.attempt_id: a.response_text for a in question.answers}
        assert texts == {made.written: "Le <b>Saint-Laurent</b>.", made.other: "Un fleuve."}
        assert all(a.max_points == 5 and a.awaiting for a in question.answers)
        assert marking.marking_progress(session, made.sitting) == sheet.progress


def test_marking_totals_the_attempt_and_ends_awaiting(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        assert reports.score_percentages(session, made.sitting) == [pytest.approx(100 / 6)]  # blank
        outcome = marking.award_mark(session, made.world.teacher, made.sitting.id, made.written,
                                     0, "3,5", "  Bonne structure.  ", utcnow())
        assert (outcome.points, outcome.score, outcome.max_score) == (3.5, 4.5, 6.0)
        assert outcome.fully_graded
        attempt = session.get(Attempt, made.written)
        assert attempt is not None and attempt.awaiting_marks == 0
        result = grading.released_result(session, attempt, made.sitting)
        assert result is None  # not released yet
        sittings.release_results(session, made.sitting, utcnow())
        result = grading.released_result(session, attempt, made.sitting)
        assert result is not None and result.score == 4.5
        essay = result.slots[0]
        assert (essay.points, essay.marked, essay.awaiting_marking) == (3.5, True, False)
        assert essay.comment == "Bonne structure." and essay.correct is False
        other = session.get(Attempt, made.other)
        assert other is not None
        pending = grading.released_result(session, other, made.sitting)
        assert pending is not None and pending.score is None and pending.awaiting_marking == 1
        assert pending.slots[0].awaiting_marking and pending.slots[0].points is None
        assert sorted(reports.score_percentages(session, made.sitting)) == [
            pytest.approx(100 / 6), 75.0]
        success = {q.position: (q.correct, q.graded)
                   for q in reports.question_success(session, made.sitting)}
        assert success[0] == (0, 2)  # the marked essay and the blank one; not the awaiting one


def test_a_grader_marks_and_a_remark_replaces_with_history(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        marking.award_mark(session, made.world.grader, made.sitting.id, made.other, 0, "2",
                           "Trop court.", utcnow())
        outcome = marking.award_mark(session, made.world.teacher, made.sitting.id, made.other, 0,
                                     "5", "", utcnow())
        assert (outcome.points, outcome.score) == (5.0, 6.0)
        [question] = marking.marking_sheet(session, made.world.grader, made.sitting.id).questions
        mark = next(a for a in question.answers if a.attempt_id == made.other)
        assert (mark.points, mark.comment, mark.marked_by) == (5.0, None, "Teacher Test")
        trail = session.scalars(select(AuditEntry).where(AuditEntry.object_id == made.other)
                                .order_by(AuditEntry.id)).all()
        assert [e.action for e in trail] == ["mark_answer", "remark_answer"]
        last = json.loads(trail[-1].detail)
        assert last["previous"]["points"] == 2.0 and last["previous"]["comment"] == "Trop court."
        assert last["points"] == 5.0 and last["slot"] == 0


def test_grading_again_keeps_the_marks(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        marking.award_mark(session, made.world.teacher, made.sitting.id, made.written, 0, "4",
                           None, utcnow())
        graded = grading.grade_attempt(session, made.written, utcnow())
        assert (graded.score, graded.awaiting_marks) == (5.0, 0)
        again = grading.grade_attempt(session, made.other, utcnow())
        assert (again.score, again.awaiting_marks) == (1.0, 1)


@pytest.mark.parametrize("points, code", [
    ("", "mark_invalid"), ("abc", "mark_invalid"), ("nan", "mark_invalid"),
    ("inf", "mark_invalid"), ("-1", "mark_points_range"), ("5,5", "mark_points_range"),
    ("1e9", "mark_points_range"), ("2.125", "mark_invalid"),
])
def test_bad_points_are_refused_and_change_nothing(database: Database, points: str,
                                                   code: str) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        with pytest.raises(Invalid) as refused:
            marking.award_mark(session, made.world.teacher, made.sitting.id, made.written, 0,
                               points, "", utcnow())
        assert refused.value.code == code
        attempt = session.get(Attempt, made.written)
        assert attempt is not None and attempt.awaiting_marks == 1


def test_points_limits_and_comment_length(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        for typed, value in (("0", 0.0), ("5", 5.0), (" 2,25 ", 2.25), ("1.50", 1.5)):
            assert marking.award_mark(session, made.world.teacher, made.sitting.id, made.written,
                                      0, typed, None, utcnow()).points == value
        with pytest.raises(Invalid) as refused:
            marking.award_mark(session, made.world.teacher, made.sitting.id, made.written, 0, "1",
                               "x" * (marking.MAX_COMMENT + 1), utcnow())
        assert refused.value.code == "mark_comment_too_long"
        marking.award_mark(session, made.world.teacher, made.sitting.id, made.written, 0, "1",
                           "x" * marking.MAX_COMMENT, utcnow())


def test_only_staff_of_the_school_who_mark_may_mark(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        stranger = make_school(session, prefix="other-", students=1)
        refused = [made.world.students[0], made.world.proctor, stranger.teacher, stranger.grader]
        for person in refused:
            with pytest.raises(Forbidden):
                marking.marking_sheet(session, person, made.sitting.id)
            with pytest.raises(Forbidden):
                marking.award_mark(session, person, made.sitting.id, made.written, 0, "1", None,
                                   utcnow())
        # A grader of another school who also teaches here is still only a teacher here.
        records.assign_role(session, stranger.grader, Role.TEACHER, made.world.school)
        marking.award_mark(session, stranger.grader, made.sitting.id, made.written, 0, "1", None,
                           utcnow())


def test_answers_that_are_not_to_mark_are_not_found(database: Database) -> None:
    with database.session() as session:
        made = essay_sitting(session)
        teacher = made.world.teacher
        for attempt_id, slot in ((made.written, 1), (made.blank, 0), (made.written, 7),
                                 ("nope", 0)):
            with pytest.raises(NotFound):
                marking.award_mark(session, teacher, made.sitting.id, attempt_id, slot, "1",
                                   None, utcnow())
        # An attempt named under another sitting of the same school is not found either.
        other_sitting = sittings.schedule_sitting(
            session, made.world.exam, title="Autre", opens_at=utcnow(),
            closes_at=utcnow() + timedelta(hours=1), time_limit_seconds=None,
            class_id=made.world.klass.id, author_id=teacher.id)
        with pytest.raises(NotFound):
            marking.award_mark(session, teacher, other_sitting.id, made.written, 0, "1", None,
                               utcnow())


def test_two_graders_marking_one_attempt_at_once_lose_no_points(database: Database) -> None:
    essay = {"stem": {"fr": "Expliquez."}, "points": 4}
    with database.session() as session:
        world = make_school(session, students=1)
        student = world.students[0]
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, "extended_text", f"Essai {n}", essay,
            author_id=world.teacher.id).id).item_id for n in range(2)]
        exam = exams.create_exam(session, world.school.id, "Deux", world.teacher.id, item_ids,
                                 shuffle_questions=False)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, exam, title="Deux", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=None,
            class_id=world.klass.id, author_id=world.teacher.id)
        attempt_id = attempts.start_or_resume(session, sitting.id, student.id, now).id
        for slot in (0, 1):
            answer_log.save(session, attempt_id, student.id, slot=slot, seq=slot + 1,
                            response={"text": f"Réponse {slot}"}, now=now, grace_seconds=2.0)
        attempts.submit(session, attempts.get_attempt(session, attempt_id, for_update=True), now,
                        "student", 2.0)
        grading.grade_attempt(session, attempt_id, now)
    start = threading.Barrier(2)

    def mark(marker: Person, slot: int, points: str) -> None:
        with database.session() as session:
            start.wait(timeout=10)
            marking.award_mark(session, marker, sitting.id, attempt_id, slot, points, None,
                               utcnow())

    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(mark, world.teacher, 0, "3"), pool.submit(mark, world.grader, 1, "2")]
        for future in done:
            future.result(timeout=30)
    with database.session() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None and (attempt.score, attempt.awaiting_marks) == (5.0, 0)
