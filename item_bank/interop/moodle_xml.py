"""Moodle XML (``<quiz>``) import: questions become items, categories become tags.

``source_id`` is the question's ``idnumber`` when it has one, else its category
path and name, so that a re-export from Moodle names the same items again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from item_bank.interop.model import (
    Context,
    ImportResult,
    ItemProblem,
    Outcome,
    ParsedItem,
    Skipped,
    attempt,
    finish,
    finite_number,
)

Content = dict[str, Any]
# Moodle's own prefixes and the "top" and default categories say nothing of the subject.
NOT_A_TAG = re.compile(r"^(\$\w+\$|top|défaut pour .*|default for .*)$", re.IGNORECASE)
CLOZE_GAP = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")
CLOZE_CHOICE = {"MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH",
                "MULTICHOICE_S", "MCS", "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"}
UNESCAPE = re.compile(r"\\(.)")


def text(element: Element | None, path: str = "text") -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def flag(question: Element, name: str, default: bool) -> bool:
    value = text(question, name).lower()
    return default if not value else value in ("1", "true", "yes")


def fraction(answer: Element) -> float:
    return finite_number(answer.get("fraction", "0"), "fraction")


def read(root: Element, ctx: Context, skip_unsupported: bool) -> ImportResult:
    """Read a namespace-stripped ``<quiz>`` root."""
    outcomes: list[Outcome] = []
    always: list[Skipped] = []
    path: list[str] = []
    for question in root.iter("question"):
        kind = question.get("type", "")
        if kind == "category":
            raw = text(question.find("category"))
            path = [p.strip() for p in raw.split("/") if p.strip()]
            continue
        name = text(question.find("name")) or "?"
        category = [p for p in path if not NOT_A_TAG.match(p)]
        idnumber = text(question, "idnumber")
        source_id = idnumber or "/".join(category + [name])
        if kind == "description":
            # Information text, not a question: never an error, always listed.
            always.append(Skipped.of(source_id, name, "not_a_question", "moodle_description"))
            continue
        reader = READERS.get(kind)
        tags = category + [text(t) for t in question.iter("tag") if text(t)]

        def build(q: Element = question, k: str = kind, sid: str = source_id,
                  title: str = name, tag_list: list[str] = tags,
                  read_type: Reader | None = reader) -> ParsedItem:
            if read_type is None:
                raise ItemProblem("unsupported_type", "moodle_type_unknown", type=repr(k))
            item_type, content = read_type(q, ctx)
            extra = content.pop("_metadata", {})
            if item_type != "inline_choice":
                content["stem"] = ctx.html(text(q.find("questiontext")))
            grade = text(q, "defaultgrade")
            if grade:
                content["points"] = finite_number(grade, "defaultgrade")
            metadata = {"format": "moodle_xml", "moodle_type": k, **extra}
            if q.find("questiontext/file") is not None:
                metadata["embedded_files"] = [f.get("name", "") for f in
                                              q.iterfind("questiontext/file")]
            return ctx.item(sid, item_type, title, content, tag_list, metadata)

        attempt(outcomes, source_id, name, build)
    return finish(ctx, outcomes, skip_unsupported, always_skipped=always)


Reader = Callable[[Element, Context], tuple[str, Content]]


def read_multichoice(question: Element, ctx: Context) -> tuple[str, Content]:
    answers = question.findall("answer")
    options = [{"id": chr(ord("a") + n) if n < 26 else f"o{n}",
                "text": ctx.html(text(a))} for n, a in enumerate(answers)]
    fractions = [fraction(a) for a in answers]
    shuffle = flag(question, "shuffleanswers", True)
    if flag(question, "single", True):
        best = max(range(len(answers)), key=lambda n: fractions[n], default=None)
        if best is None or fractions[best] <= 0:
            raise ItemProblem("invalid_content", "no_answer_with_points")
        return "single_choice", {"options": options, "correct": options[best]["id"],
                                 "shuffle": shuffle}
    correct = [o["id"] for o, f in zip(options, fractions, strict=True) if f > 0]
    # Our multiple response gives right-minus-wrong partial credit; Moodle's own
    # fractions are kept in the metadata for whoever wants to compare.
    return "multiple_response", {"options": options, "correct": correct, "shuffle": shuffle,
                                 "_metadata": {"moodle_fractions": dict(zip(
                                     [o["id"] for o in options], fractions, strict=True))}}


def read_truefalse(question: Element, _ctx: Context) -> tuple[str, Content]:
    for answer in question.findall("answer"):
        if fraction(answer) > 0:
            return "true_false", {"correct": text(answer).lower() in ("true", "vrai")}
    raise ItemProblem("invalid_content", "true_false_without_points")


def read_shortanswer(question: Element, _ctx: Context) -> tuple[str, Content]:
    answers = [text(a) for a in question.findall("answer") if fraction(a) >= 100]
    if any(re.search(r"(?<!\\)\*", a) for a in answers):
        raise ItemProblem("unsupported_feature", "short_answer_wildcard")
    return "short_text", {"answers": [a.replace("\\*", "*") for a in answers],
                          "case_sensitive": flag(question, "usecase", False)}


def read_numerical(question: Element, _ctx: Context) -> tuple[str, Content]:
    for answer in question.findall("answer"):
        if fraction(answer) >= 100 and text(answer) != "*":
            content: Content = {"answer": text(answer),
                                "tolerance": text(answer, "tolerance") or 0}
            unit = next((text(u, "unit_name") for u in question.iter("unit")
                         if text(u, "multiplier") in ("1", "1.0", "")), "")
            if unit:
                content["unit"] = unit
            return "numeric", content
    raise ItemProblem("invalid_content", "no_full_marks_number")


def read_matching(question: Element, ctx: Context) -> tuple[str, Content]:
    premises: list[Content] = []
    responses: list[Content] = []
    pairs: dict[str, str] = {}
    response_ids: dict[str, str] = {}
    for sub in question.findall("subquestion"):
        answer = text(sub.find("answer"))
        if answer not in response_ids:
            response_ids[answer] = f"r{len(response_ids) + 1}"
            responses.append({"id": response_ids[answer], "text": ctx.html(answer)})
        prompt = text(sub)
        if prompt:  # a subquestion without text only adds a wrong response
            premise_id = f"p{len(premises) + 1}"
            premises.append({"id": premise_id, "text": ctx.html(prompt)})
            pairs[premise_id] = response_ids[answer]
    return "matching", {"premises": premises, "responses": responses, "pairs": pairs}


def read_essay(question: Element, ctx: Context) -> tuple[str, Content]:
    content: Content = {}
    rubric = text(question.find("graderinfo"))
    if rubric:
        content["rubric"] = ctx.html(rubric)
    return "extended_text", content


def read_cloze(question: Element, ctx: Context) -> tuple[str, Content]:
    source = text(question.find("questiontext"))
    gaps: list[dict[str, Any]] = []
    shuffles: list[bool] = []

    def gap(match: re.Match[str]) -> str:
        if match.group(2) not in CLOZE_CHOICE:
            raise ItemProblem("unsupported_feature", "cloze_gap_type", gap=match.group(2))
        gap_id = f"g{len(gaps) + 1}"
        shuffles.append(match.group(2).endswith("S"))
        options, correct = [], None
        for n, raw in enumerate(re.split(r"(?<!\\)~", match.group(3))):
            choice = re.split(r"(?<!\\)#", raw, maxsplit=1)[0]
            weight = re.match(r"^(=|%(-?\d+(?:\.\d+)?)%)", choice)
            option_id = chr(ord("a") + n) if n < 26 else f"o{n}"
            if weight and correct is None and (weight.group(1) == "=" or
                                               float(weight.group(2)) >= 100):
                correct = option_id
            label = UNESCAPE.sub(r"\1", choice[weight.end():] if weight else choice).strip()
            options.append({"id": option_id, "text": label})
        gaps.append({"id": gap_id, "options": options, "correct": correct})
        return "{{" + gap_id + "}}"

    gap_text = CLOZE_GAP.sub(gap, source)
    if not gaps:
        raise ItemProblem("invalid_content", "cloze_without_gaps")
    return "inline_choice", {"text": ctx.html(gap_text), "gaps": gaps, "shuffle": all(shuffles)}


# CodeRunner (https://coderunner.org.nz) "program" types and Python: its question type, our
# sandbox language. Other types (c_function, java_method, sql…) wrap the answer in
# templates of their own: refused by name.
CODERUNNER_LANGUAGES = {"python3": "python3", "c_program": "c", "cpp_program": "cpp",
                        "java_program": "java", "nodejs": "javascript"}
# CodeRunner graders: ours compares on the trusted side. Empty means the prototype's
# default, the equality grader (lines compared without their trailing whitespace).
CODERUNNER_GRADERS = {"": "trailing_whitespace", "EqualityGrader": "trailing_whitespace",
                      "NearEqualityGrader": "ignore_case", "RegexGrader": "regex"}


def read_coderunner(question: Element, _ctx: Context) -> tuple[str, Content]:
    """A CodeRunner question as a ``code`` item: each test case a test, ``display`` HIDE a
    hidden test, ``mark`` its weight, ``testcode`` (Python) run after the answer."""
    kind = text(question, "coderunnertype")
    language = CODERUNNER_LANGUAGES.get(kind)
    if language is None:
        raise ItemProblem("unsupported_type", "coderunner_type_unknown", type=repr(kind))
    if text(question, "template") or text(question, "prototypetype") not in ("", "0"):
        raise ItemProblem("unsupported_feature", "coderunner_template")
    grader = text(question, "grader")
    if grader not in CODERUNNER_GRADERS:
        raise ItemProblem("unsupported_feature", "coderunner_grader", grader=grader)
    tests: list[Content] = []
    examples: list[str] = []
    for case in question.iterfind("testcases/testcase"):
        if case.get("testtype", "0") == "1":
            continue  # run by "Precheck" only, never in the grade
        name = f"test{len(tests) + 1}"
        test: Content = {"name": name, "stdin": raw_text(case.find("stdin")),
                         "expected": raw_text(case.find("expected")),
                         "weight": finite_number(case.get("mark", "1"), "mark"),
                         "hidden": text(case.find("display")).upper() != "SHOW",
                         "stop_on_failure": case.get("hiderestiffail", "0") == "1"}
        testcode = raw_text(case.find("testcode"))
        if testcode.strip():
            if language != "python3":
                raise ItemProblem("unsupported_feature", "coderunner_testcode", type=kind)
            test["testcode"] = testcode
        if case.get("useasexample", "0") == "1":
            examples.append(name)
        tests.append(test)
    content: Content = {"language": language, "tests": tests,
                        "starter": raw_text(question.find("answerpreload"), "."),
                        "comparison": CODERUNNER_GRADERS[grader],
                        "all_or_nothing": flag(question, "allornothing", True)}
    limits = {}
    if text(question, "cputimelimitsecs"):
        limits["cpu_seconds"] = finite_number(text(question, "cputimelimitsecs"),
                                              "cputimelimitsecs")
    if text(question, "memlimitmb"):
        limits["memory_mb"] = int(finite_number(text(question, "memlimitmb"), "memlimitmb"))
    if limits:
        content["limits"] = limits
    # The teacher's answer is no part of the item: kept beside it, for its authors.
    content["_metadata"] = {"coderunner_type": kind, "coderunner_examples": examples,
                            "coderunner_answer": raw_text(question.find("answer"), ".")}
    return "code", content


def raw_text(element: Element | None, path: str = "text") -> str:
    """An element's text as written (code and outputs keep their spaces and newlines)."""
    found = element.find(path) if element is not None and path != "." else element
    return (found.text or "") if found is not None else ""


READERS: dict[str, Reader] = {
    "multichoice": read_multichoice,
    "truefalse": read_truefalse,
    "shortanswer": read_shortanswer,
    "numerical": read_numerical,
    "matching": read_matching,
    "essay": read_essay,
    "cloze": read_cloze,
    "multianswer": read_cloze,
    "coderunner": read_coderunner,
}
