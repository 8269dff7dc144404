"""Moodle CodeRunner questions import into ``code`` items that grade like CodeRunner."""

from __future__ import annotations

import pytest

from item_bank.interop.detect import parse
from item_bank.interop.model import ImportInvalid, ParsedItem
from item_bank.registry import default_registry
from sandbox.backends.process import ProcessBackend
from tests.interop.conftest import sample


def items() -> dict[str, ParsedItem]:
    result = parse(sample("moodle_coderunner.xml"), "moodle_coderunner.xml")
    assert result.skipped == ()
    return {i.title: i for i in result.items}


def test_a_python_function_question_keeps_its_test_code_visibility_and_marks() -> None:
    item = items()["Carré d'un nombre"]
    assert item.item_type == "code" and item.source_id == "py-carre"
    assert item.tags == ("Programmation", "Python", "fonctions")
    content = item.content
    assert content["language"] == "python3" and content["points"] == 2.0
    assert "<code>carre(n)</code>" in content["stem"]["fr"]
    assert content["starter"].startswith("def carre(n):\n    # Votre code ici")
    assert content["all_or_nothing"] is False  # <allornothing>0</allornothing>
    assert [(t["name"], t["testcode"], t["expected"], t["hidden"], t["weight"])
            for t in content["tests"]] == [
        ("test1", "print(carre(-7))", "49", False, 1.0),
        ("test2", "for i in range(3):\n    print(carre(i))", "0\n1\n4", False, 1.0),
        ("test3", "print(carre(12345))", "152399025", True, 2.0)]
    # The teacher's answer stays beside the item, for its authors, never in the content.
    assert item.metadata["coderunner_answer"] == "def carre(n):\n    return n * n\n"
    assert item.metadata["coderunner_examples"] == ["test1"]
    assert "return n * n" not in repr(content)


def test_program_questions_take_stdin_limits_and_leave_precheck_tests_out() -> None:
    found = items()
    c_item = found["Somme en C"]
    # No idnumber: the category path and the name.
    assert c_item.source_id == "Programmation/Python/Somme en C"
    content = c_item.content
    assert (content["language"], content["all_or_nothing"]) == ("c", True)
    assert content["limits"] == {"cpu_seconds": 3.0, "memory_mb": 200}
    assert content["starter"].startswith("#include <stdio.h>")
    # The testtype="1" case runs on Precheck only: it is not a test of the grade.
    assert [(t["stdin"], t["expected"], t["hidden"], t["stop_on_failure"])
            for t in content["tests"]] == [("2 3\n", "5\n", False, False),
                                           ("-40 2000000\n", "1999960\n", True, True)]
    assert "testcode" not in content["tests"][0]
    java = found["Bonjour en Java"].content
    assert java["language"] == "java" and java["tests"][0]["stdin"] == "Léa"


def test_the_imported_items_grade_the_teachers_answers_in_the_sandbox(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert not ProcessBackend().missing()
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")
    code = default_registry().get("code")
    for item in items().values():
        answer = item.metadata["coderunner_answer"]
        score = code.score(item.content, {"code": answer})
        assert score.correct and score.points == item.content["points"], (item.title, score)
    square = items()["Carré d'un nombre"].content
    # Partial credit (allornothing 0): right except for the large hidden case.
    wrong = "def carre(n):\n    return n * n if n < 1000 else 0\n"
    assert code.score(square, {"code": wrong}).points == pytest.approx(2.0 * 2 / 4)
    # All or nothing (the C question): one failed test gives nothing.
    adder = items()["Somme en C"].content
    small = ('#include <stdio.h>\nint main(void) {\n    int a, b;\n'
             '    scanf("%d %d", &a, &b);\n    printf("%d\\n", a + b < 100 ? a + b : 0);\n'
             '    return 0;\n}\n')
    assert code.score(adder, {"code": small}).points == 0.0


def test_an_unsupported_coderunner_type_is_refused_by_name_or_skipped() -> None:
    with pytest.raises(ImportInvalid) as refused:
        parse(sample("moodle_coderunner_unsupported.xml"), "c.xml")
    params = refused.value.params
    assert (params["item"], params["reason"], params["problem"], params["type"]) == (
        "Fonction factorielle", "unsupported_type", "coderunner_type_unknown", "'c_function'")
    result = parse(sample("moodle_coderunner_unsupported.xml"), "c.xml", skip_unsupported=True)
    assert [i.title for i in result.items] == ["Double"]
    assert [(s.title, s.problem) for s in result.skipped] == [
        ("Fonction factorielle", "coderunner_type_unknown")]


def question(body: str) -> bytes:
    return ("<?xml version='1.0' encoding='UTF-8'?><quiz><question type='coderunner'>"
            "<name><text>Q</text></name><questiontext format='html'><text>Écrire.</text>"
            "</questiontext>" + body + "</question></quiz>").encode()


CASE = ("<testcases><testcase testtype='0' mark='1'><testcode><text>{code}</text></testcode>"
        "<stdin><text></text></stdin><expected><text>1</text></expected>"
        "<display><text>SHOW</text></display></testcase></testcases>")


@pytest.mark.parametrize("body, reason, problem", [
    ("<coderunnertype>python3</coderunnertype><template>{{ STUDENT_ANSWER }}</template>"
     + CASE.format(code=""), "unsupported_feature", "coderunner_template"),
    ("<coderunnertype>python3</coderunnertype><grader>TemplateGrader</grader>"
     + CASE.format(code=""), "unsupported_feature", "coderunner_grader"),
    ("<coderunnertype>c_program</coderunnertype>" + CASE.format(code="fact(3);"),
     "unsupported_feature", "coderunner_testcode"),
    ("<coderunnertype>sql</coderunnertype>" + CASE.format(code=""),
     "unsupported_type", "coderunner_type_unknown"),
    ("<coderunnertype>python3</coderunnertype>", "invalid_content", "invalid_field"),
])
def test_what_a_code_item_cannot_express_is_refused_with_its_problem(
        body: str, reason: str, problem: str) -> None:
    with pytest.raises(ImportInvalid) as refused:
        parse(question(body), "q.xml")
    assert (refused.value.params["reason"], refused.value.params["problem"]) == (reason, problem)
