"""The ``code`` item type: validated, rendered without its tests, scored in the sandbox,
and in an exam left by ``grade_attempt`` awaiting the sandbox, then scored apart."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Invalid
from coding_lab.harness import TestLimits, build_run
from coding_lab.item_type import DRIVER, DRIVER_NAME, MAX_CODE, CodeItem, harness_tests
from exam_engine import answer_log, attempts, exams, grading, sittings
from exam_engine.models import AttemptSlot
from item_bank import service as items
from item_bank.registry import default_registry
from item_bank.rich_text import payload_html
from sandbox.backends.process import ProcessBackend
from tests.factories import make_school
from web.messages import message_for

CODE = CodeItem()
SECRET_INPUT = "918273\n"
SECRET_OUTPUT = "1836546\n"
CONTENT: dict[str, Any] = {
    "stem": {"fr": "Écrivez `double(n)` et un programme qui affiche le double de l'entier lu.",
             "en": "Write `double(n)` and a program that prints twice the integer it reads."},
    "language": "python3",
    "starter": "def double(n):\n    pass\n",
    "tests": [
        {"name": "trois", "stdin": "3\n", "expected": "6\n"},
        {"name": "appel", "testcode": "print(double(-4))", "expected": "-8"},
        {"name": "fonction", "code": "from main import double\n\ndef test_double():\n"
                                     "    assert double(0) == 0\n"},
        {"name": "cache", "stdin": SECRET_INPUT, "expected": SECRET_OUTPUT, "hidden": True,
         "weight": 3},
    ],
    "limits": {"cpu_seconds": 1, "memory_mb": 128},
    "points": 12,
}
RIGHT = ("import sys\n\ndef double(n):\n    return 2 * n\n\n"
         "if __name__ == '__main__':\n    line = sys.stdin.readline()\n"
         "    if line.strip():\n        print(double(int(line)))\n")
# Right for small numbers only: the hidden test (weight 3 of 6) fails.
SMALL_ONLY = RIGHT.replace("return 2 * n", "return 2 * n if abs(n) < 1000 else n")


@pytest.fixture(autouse=True)
def process_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring reads the backend where the worker does: ARDOISE_SANDBOX_BACKEND."""
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")


def test_the_type_is_registered_through_its_entry_point() -> None:
    assert isinstance(default_registry().get("code"), CodeItem)


def test_validate_normalises_and_keeps_the_tests() -> None:
    clean = CODE.validate(CONTENT)
    assert clean["language"] == "python3" and clean["points"] == 12.0
    assert clean["comparison"] == "trailing_whitespace" and clean["all_or_nothing"] is False
    assert clean["limits"] == {"cpu_seconds": 1.0, "memory_mb": 128}
    assert [t["name"] for t in clean["tests"]] == ["trois", "appel", "fonction", "cache"]
    assert clean["tests"][3] == {"name": "cache", "stdin": SECRET_INPUT,
                                 "expected": SECRET_OUTPUT, "weight": 3.0, "hidden": True,
                                 "stop_on_failure": False}
    assert CODE.validate(clean) == clean  # validating again changes nothing


def broken(**changes: Any) -> dict[str, Any]:
    return {**CONTENT, **changes}


def one_test(**test: Any) -> dict[str, Any]:
    return broken(tests=[{"name": "t", "stdin": "", "expected": "x", **test}])


@pytest.mark.parametrize("content, field", [
    (broken(language="cobol"), "language"),
    (broken(stem={"fr": "  "}), "stem"),
    (broken(starter=7), "starter"),
    (broken(starter="x" * (MAX_CODE + 1)), "starter"),
    (broken(tests=[]), "tests"),
    (broken(tests="trois"), "tests"),
    (broken(tests=[{"name": "a"}, {"name": "a"}]), "tests"),
    (one_test(name=""), "tests"),
    (one_test(weight=0), "tests"),
    (one_test(weight=True), "tests"),
    (one_test(hidden="yes"), "tests"),
    (one_test(surprise=1), "tests"),
    (one_test(comparison="fuzzy"), "tests"),
    (one_test(comparison="numbers", tolerance=-1), "tests"),
    (one_test(comparison="regex", expected="(unclosed"), "tests"),
    (one_test(code="def test_x(): pass", testcode="print(1)"), "tests"),
    (one_test(stdin="1\n", code="def test_x(): pass"), "tests"),
    (broken(language="c", tests=[{"name": "t", "testcode": "printf(1);"}]), "tests"),
    (broken(language="java", tests=[{"name": "t", "code": "def test_x(): pass"}]), "tests"),
    (broken(comparison="bytes"), "comparison"),
    (broken(limits={"cpu_seconds": 60}), "limits"),
    (broken(limits={"memory_mb": 4}), "limits"),
    (broken(limits={"disk": 1}), "limits"),
    (broken(all_or_nothing="no"), "all_or_nothing"),
    (broken(points=0), "points"),
])
def test_validate_refuses_naming_the_field(content: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        CODE.validate(content)
    assert refused.value.code == "item_invalid" and refused.value.params["field"] == field


@pytest.mark.parametrize("field, french, english", [
    ("starter", "code de départ", "starter code"),
    ("tests", "tests", "tests"),
    ("limits", "limites", "limits"),
    ("comparison", "comparaison", "comparison"),
    ("all_or_nothing", "tout ou rien", "all or nothing"),
])
def test_a_refused_field_is_named_in_words_in_both_languages(
        app: Flask, field: str, french: str, english: str) -> None:
    for lang, words, sentence in (("fr", french, "La question est incomplète"),
                                  ("en", english, "The question is incomplete")):
        with app.test_request_context(headers={"Accept-Language": lang}):
            message = message_for("item_invalid", {"field": field})
        assert message.startswith(sentence) and message.endswith(f": {words}).")


def test_render_holds_no_test_and_the_json_no_secret() -> None:
    clean = CODE.validate(CONTENT)
    payload = CODE.render(clean, seed=4)
    assert set(payload) == {"stem", "language", "starter", "max_length"}
    assert payload["starter"] == "def double(n):\n    pass\n"
    sent = json.dumps(payload_html(payload))
    for secret in ("918273", "1836546", "-8", "double(-4)", "test_double", "cache",
                   "expected", "weight"):
        assert secret not in sent, secret


def test_response_shape_is_checked() -> None:
    clean = CODE.validate(CONTENT)
    CODE.check_response(clean, None)
    CODE.check_response(clean, {"code": RIGHT})
    for bad in ({"code": 3}, {"text": "x"}, {"code": "x", "more": 1}, "print(1)",
                {"code": "#" * (MAX_CODE + 1)}):
        with pytest.raises(Invalid):
            CODE.check_response(clean, bad)


def test_score_runs_the_sandbox_with_partial_credit_and_keeps_hidden_tests_quiet() -> None:
    clean = CODE.validate(CONTENT)
    right = CODE.score(clean, {"code": RIGHT})
    assert (right.points, right.max_points, right.correct) == (12.0, 12.0, True)
    assert right.feedback["en"] == "Tests passed: 4 of 4."
    partial = CODE.score(clean, {"code": SMALL_ONLY})
    assert (partial.points, partial.correct) == (6.0, False)  # 3 of 6 weight
    # The failed hidden test is counted, never named nor shown.
    assert partial.feedback["fr"] == "Tests réussis : 3 sur 4."
    assert all("cache" not in text and "918273" not in text and "1836546" not in text
               for text in partial.feedback.values())
    # A failed visible test is named.
    wrong_call = CODE.score(clean, {"code": RIGHT.replace("return 2 * n",
                                                          "return 2 * n if n >= 0 else 0")})
    assert wrong_call.points == 10.0 and "appel" in wrong_call.feedback["en"]
    # Nothing written: nothing run, no points.
    for empty in (None, {"code": "   "}):
        assert CODE.score(clean, empty).points == 0.0


def test_all_or_nothing_gives_nothing_for_a_partial_answer() -> None:
    clean = CODE.validate(broken(all_or_nothing=True))
    assert CODE.score(clean, {"code": SMALL_ONLY}).points == 0.0
    assert CODE.score(clean, {"code": RIGHT}).points == 12.0


def test_a_c_item_compiles_once_and_a_compile_error_scores_nothing() -> None:
    clean = CODE.validate({
        "stem": {"fr": "Somme"}, "language": "c", "points": 2,
        "tests": [{"name": "a", "stdin": "2 3\n", "expected": "5\n"},
                  {"name": "b", "stdin": "-1 1\n", "expected": "0\n", "hidden": True}]})
    program = ('#include <stdio.h>\nint main(void) {\n    int a, b;\n'
               '    if (scanf("%d %d", &a, &b) != 2) return 1;\n'
               '    printf("%d\\n", a + b);\n    return 0;\n}\n')
    assert CODE.score(clean, {"code": program}).points == 2.0
    broken_c = CODE.score(clean, {"code": program.replace("return 0;", "return 0")})
    assert broken_c.points == 0.0 and "does not compile" in broken_c.feedback["en"]


def test_a_testcode_tests_expected_output_never_enters_the_sandbox() -> None:
    clean = CODE.validate({
        "stem": {"en": "Print the secret."}, "language": "python3",
        "tests": [{"name": "s", "testcode": "print(secret())", "expected": "secret-4242",
                   "hidden": True}]})
    spec, _nonce = build_run("python3", {"main.py": "", DRIVER_NAME: DRIVER},
                             harness_tests(clean), TestLimits(), entry=DRIVER_NAME)
    shipped = json.dumps({**spec.files, "stdin": spec.stdin}, ensure_ascii=False)
    assert "4242" not in shipped and "print(secret())" in shipped
    # A program that looks for it beside itself and on its input finds nothing.
    snoop = ("import os, sys\n\ndef secret():\n"
             "    seen = sys.stdin.read()\n"
             "    for name in os.listdir('.'):\n"
             "        if name != 'main.py' and os.path.isfile(name):\n"
             "            seen += open(name, errors='replace').read()\n"
             "    return 'secret-' + '4242' if 'secret-' + '4242' in seen else '?'\n")
    graded = CODE.run(clean, snoop, backend="process")
    assert graded.tests[0].verdict == "failed" and graded.tests[0].stdout == "?\n"
    assert CODE.score(clean, {"code": snoop}).points == 0.0


def test_a_code_answer_in_an_exam_is_scored_apart_from_grade_attempt(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=3)
        item_id = items.get_version(session, items.create_item(
            session, world.school.id, "code", "Double", CONTENT,
            author_id=world.teacher.id).id).item_id
        exam = exams.create_exam(session, world.school.id, "Programmation", world.teacher.id,
                                 [item_id], shuffle_questions=False)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, exam, title="Programmation", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=600,
            class_id=world.klass.id, author_id=world.teacher.id)
        answers = [{"code": RIGHT}, {"code": SMALL_ONLY}, None]
        attempt_ids = []
        for student, answer in zip(world.students, answers, strict=True):
            attempt = attempts.start_or_resume(session, sitting.id, student.id, now)
            # What the student's page receives for the slot: no test at all.
            views = attempts.render_slots(session, attempt)
            assert [v.item_type for v in views] == ["code"]
            rendered = json.dumps([payload_html(v.render) for v in views])
            assert "918273" not in rendered and "test_double" not in rendered
            answer_log.save(session, attempt.id, student.id, slot=0, seq=1, response=answer,
                            now=now, grace_seconds=2.0)
            attempts.submit(session, attempts.get_attempt(session, attempt.id, for_update=True),
                            now, "student", 2.0)
            graded = grading.grade_attempt(session, attempt.id, now)
            # The code answer awaits the sandbox: no score yet, neither right nor wrong.
            assert graded.graded_at is None and graded.score is None
            attempt_ids.append(attempt.id)
    for attempt_id in attempt_ids:
        assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 1
    with database.session() as session:
        scores = []
        for attempt_id in attempt_ids:
            slot = session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id))
            assert slot is not None
            graded = attempts.get_attempt(session, attempt_id)
            scores.append((slot.points, slot.correct, slot.max_points,
                           graded.score, graded.max_score))
        assert scores == [(12.0, True, 12.0, 12.0, 12.0), (6.0, False, 12.0, 6.0, 12.0),
                          (0.0, False, 12.0, 0.0, 12.0)]


def test_the_teacher_sees_a_read_only_preview_and_no_authoring_form(
        app: Flask, app_db: Database) -> None:
    from tests.web.test_item_bank_pages import client_of

    with app_db.session() as session:
        world = make_school(session, students=0)
        item_id = items.create_item(session, world.school.id, "code", "Double", CONTENT,
                                    author_id=world.teacher.id).item_id
    client = client_of(app, world.teacher.username)
    page = client.get(f"/teacher/items/{item_id}").get_data(as_text=True)
    preview = page.split('id="preview"', 1)[1]
    assert preview.count('class="code-input" rows="16" readonly') == 2  # French and English
    assert "def double(n):\n    pass\n</textarea>" in preview
    assert "Votre programme, en Python 3." in preview and "Your program, in Python 3." in preview
    assert "Aucun aperçu" not in preview
    # The form authors the types it has fields for: code items come in through import.
    assert client.get("/teacher/items/new?type=code").status_code == 404
    assert client.get("/teacher/items/new?type=extended_text").status_code == 200
