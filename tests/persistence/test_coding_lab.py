"""Exercises, assignments and submissions on both databases, graded in the real sandbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Forbidden, Invalid
from coding_lab import assignments, exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.harness import Grading
from coding_lab.models import Submission
from tests.factories import School, make_school

SOLUTION = "n = int(input())\nprint(n * n)\n"
SPEC = ExerciseSpec(
    title="Carré", language="python3",
    statement={"fr": "Affichez le carré de l'entier lu.", "en": "Print the square."},
    solution=SOLUTION, starter="n = int(input())\n", points=10,
    tests=[TestSpec("deux", "2\n", "4\n"), TestSpec("trois", "3\n", "9\n", weight=2),
           TestSpec("secret", "12\n", "144\n", hidden=True, weight=2,
                    hint={"fr": "Et les grands nombres?"})])


def published(session, world: School):  # type: ignore[no-untyped-def]
    now = utcnow()
    exercise = exercises.create_exercise(session, world.school.id, SPEC, world.teacher.id, now,
                                         backend="process")
    exercises.publish(session, exercise.id)
    return exercise


def assignment_for(session, world: School, **rules):  # type: ignore[no-untyped-def]
    now = utcnow()
    exercise = published(session, world)
    return assignments.create_assignment(
        session, exercise.id, world.klass.id, opens_at=now - timedelta(days=3),
        due_at=rules.pop("due_at", now + timedelta(days=1)), author_id=world.teacher.id,
        **rules)


def test_an_exercise_whose_solution_fails_cannot_be_published(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        wrong = ExerciseSpec(**{**SPEC.__dict__, "solution": "print(4)\n"})
        exercise = exercises.create_exercise(session, world.school.id, wrong, world.teacher.id,
                                             utcnow(), backend="process")
        assert exercise.verified_at is None and exercise.verification is not None
        assert [t["verdict"] for t in exercise.verification["tests"]] == [
            "passed", "failed", "failed"]
        with pytest.raises(Invalid) as refused:
            exercises.publish(session, exercise.id)
        assert refused.value.code == "exercise_unverified"
        fixed = exercises.update_exercise(session, exercise.id, SPEC, utcnow(),
                                          backend="process")
        assert fixed.verified_at is not None
        assert exercises.publish(session, exercise.id).status == "published"


@pytest.mark.parametrize("change, field", [
    ({"title": " "}, "title"), ({"language": "cobol"}, "language"),
    ({"statement": {}}, "statement"), ({"tests": []}, "tests"),
    ({"comparison": "fuzzy"}, "comparison"), ({"cpu_seconds": 0}, "limits"),
])
def test_a_broken_exercise_is_refused_by_field(database: Database, change: dict[str, object],
                                               field: str) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        with pytest.raises(Invalid) as refused:
            exercises.create_exercise(session, world.school.id,
                                      ExerciseSpec(**{**SPEC.__dict__, **change}),
                                      world.teacher.id, utcnow(), backend="process")
        assert refused.value.params["field"] == field


def test_a_submission_is_graded_with_partial_credit_and_hidden_tests_stay_hidden(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        assignment = assignment_for(session, world)
        student = world.students[0].id
        almost = "n = int(input())\nprint(n * n if n < 10 else 0)\n"
        submission = assignments.submit(session, assignment.id, student, almost, utcnow())
        assert submission.status == "queued" and submission.files == {"main.py": almost}
        graded = assignments.grade_submission(session, submission.id, utcnow(),
                                              backend="process")
        assert graded.status == "graded"
        assert graded.score == pytest.approx(10 * 3 / 5) and graded.max_score == 10
        shown = assignments.student_results(graded)
        text = json.dumps(shown)
        assert shown[2] == {"name": "secret", "verdict": "failed", "hidden": True,
                            "weight": 2.0}
        assert "144" not in text and "12\\n" not in text
        assert shown[0]["expected"] == "4\n" and shown[0]["stdout"] == "4\n"


def test_grading_twice_stores_one_grade(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        assignment = assignment_for(session, world)
        submission = assignments.submit(session, assignment.id, world.students[0].id,
                                        SOLUTION, utcnow())
        first = assignments.run_tests(session, submission, backend="process")
        assert assignments.store_grade(session, submission.id, first, utcnow())
        # A redelivered job that ran again finds the grade stored: its own is dropped.
        forged = Grading(score=0.0, max_score=10, tests=[])
        assert not assignments.store_grade(session, submission.id, forged, utcnow())
        assert not assignments.mark_running(session, submission.id)
        assert assignments.get_submission(session, submission.id).score == 10


def test_lateness_costs_per_started_day_unless_extended(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        now = utcnow()
        assignment = assignment_for(session, world, due_at=now - timedelta(hours=30),
                                    late_penalty_percent=20)
        late, extended = world.students
        assignments.grant_extension(session, assignment.id, extended.id,
                                    now + timedelta(hours=2), None, world.teacher.id)
        results = {}
        for student in (late, extended):
            made = assignments.submit(session, assignment.id, student.id, SOLUTION, now)
            results[student.id] = assignments.grade_submission(session, made.id, now,
                                                               backend="process")
        assert results[late.id].days_late == 2 and results[late.id].raw_score == 10
        assert results[late.id].score == pytest.approx(6)
        assert results[extended.id].days_late == 0 and results[extended.id].score == 10


def test_the_rules_refuse_with_their_reason_and_record_nothing(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        now = utcnow()
        assignment = assignment_for(session, world, attempt_limit=2, min_delay_seconds=60,
                                    closes_at=now + timedelta(days=2))
        student = world.students[0].id
        assignments.submit(session, assignment.id, student, SOLUTION, now)

        def refused(at: object, code: str = SOLUTION) -> str:
            with pytest.raises(Invalid) as caught:
                assignments.submit(session, assignment.id, student, code, at)  # type: ignore[arg-type]
            return caught.value.code

        assert refused(now + timedelta(seconds=30)) == "submit_too_soon"
        assignments.submit(session, assignment.id, student, SOLUTION, now + timedelta(minutes=2))
        assert refused(now + timedelta(minutes=5)) == "attempt_limit_reached"
        assert refused(now + timedelta(days=3)) == "assignment_closed"
        assert refused(now, "x" * 70_000) == "submission_too_large"
        assert len(assignments.submissions_of(session, assignment.id, student)) == 2
        outsider = make_school(session, prefix="x", students=1).students[0].id
        with pytest.raises(Forbidden):
            assignments.submit(session, assignment.id, outsider, SOLUTION, now)
        assert session.query(Submission).count() == 2


def test_a_hint_reaches_the_student_in_their_language(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        spec = ExerciseSpec(**{**SPEC.__dict__, "tests": [
            TestSpec("deux", "2\n", "4\n", hint={"fr": "Multiplie n par n.",
                                                "en": "Multiply n by n."}),
            TestSpec("trois", "3\n", "9\n", hint={"fr": "Seulement en français."})]})
        exercise = exercises.create_exercise(session, world.school.id, spec, world.teacher.id,
                                             utcnow(), backend="process")
        exercises.publish(session, exercise.id)
        now = utcnow()
        assignment = assignments.create_assignment(
            session, exercise.id, world.klass.id, opens_at=now - timedelta(days=1),
            due_at=now + timedelta(days=1))
        made = assignments.submit(session, assignment.id, world.students[0].id, "print(0)\n",
                                  now)
        graded = assignments.grade_submission(session, made.id, now, backend="process")
        assert [t["hint"] for t in assignments.student_results(graded, "en")] == [
            "Multiply n by n.", "Seulement en français."]
        assert [t["hint"] for t in assignments.student_results(graded, "fr")] == [
            "Multiplie n par n.", "Seulement en français."]
