"""Parametrised items: each attempt gets its own reproducible variant, prepared ahead or not."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Invalid
from exam_engine import answer_log, attempts, exams, grading, preparation
from exam_engine.models import Attempt, AttemptSlot, PreparedSeed
from item_bank import service as items
from item_bank import variants
from item_bank.models import ItemVariant
from tests.factories import make_school, open_sitting

GENERATOR = """
def generate():
    a = rng.randint(2, 40)
    b = rng.randint(2, 40)
    return {"a": a, "b": b, "product": a * b, "half": a / 2}
"""
PRODUCT = {
    "stem": {"fr": "Calculez {{a}} × {{b}} (la moitié de a est {{half}}).",
             "en": "Compute {{a}} × {{b}} (half of a is {{half}})."},
    "answer": "{{product}}", "tolerance": 0, "generator": GENERATOR,
}


def make_parametrised(session, world):  # type: ignore[no-untyped-def]
    version = items.create_item(session, world.school.id, "numeric", "Produit", PRODUCT,
                                author_id=world.teacher.id)
    exam = exams.create_exam(session, world.school.id, "Variantes", world.teacher.id,
                             [version.item_id])
    world.exam = exam
    return version


def test_each_attempt_shows_and_is_scored_on_its_own_variant(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=6)
        version = make_parametrised(session, world)
        sitting = open_sitting(session, world)
        now = utcnow()
        shown = {}
        for student in world.students:
            attempt = attempts.start_or_resume(session, sitting.id, student.id, now)
            slot = attempts.slots_of(session, attempt.id)[0]
            assert slot.variant_seed == variants.variant_seed(attempt.seed, version.id)
            params = slot.variant
            assert params is not None and params["product"] == params["a"] * params["b"]
            view = attempts.render_slots(session, attempt)[0]
            text = json.dumps(view.render, ensure_ascii=False)
            # The student's page gets the numbers of their variant, never the answer.
            assert f"Calculez {params['a']} × {params['b']}" in text
            assert f"Compute {params['a']} × {params['b']}" in text
            assert "{{" not in text and "generate" not in text
            assert "product" not in text and str(params["product"]) not in text.replace(
                f"{params['a']} × {params['b']}", "")
            shown[student.id] = (attempt.id, params)
        # Different students, different variants (six draws of 39 × 39 cannot all agree).
        assert len({json.dumps(p, sort_keys=True) for _a, p in shown.values()}) > 1

        for n, student in enumerate(world.students):
            attempt_id, params = shown[student.id]
            value = params["product"] if n % 2 == 0 else params["product"] + 1
            answer_log.save(session, attempt_id, student.id, slot=0, seq=1,
                            response={"value": str(value)}, now=now, grace_seconds=2.0)
            attempt = attempts.get_attempt(session, attempt_id)
            attempts.submit(session, attempt, now, "student", 2.0)
            graded = grading.grade_attempt(session, attempt_id, now)
            assert graded.score == (1.0 if n % 2 == 0 else 0.0)


def test_french_text_writes_decimals_with_a_comma() -> None:
    content = variants.instantiate(PRODUCT, {"a": 5, "b": 3, "product": 15, "half": 2.5})
    assert content["stem"]["fr"].endswith("la moitié de a est 2,5).")
    assert content["stem"]["en"].endswith("half of a is 2.5).")
    assert content["answer"] == 15 and "generator" not in content


def test_a_variant_is_reproducible_from_the_attempt_seed(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        version = make_parametrised(session, world)
        sitting = open_sitting(session, world)
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
        slot = attempts.slots_of(session, attempt.id)[0]
        # Computed again from the seed alone, outside any store: the same numbers.
        again = variants.generate(GENERATOR, [variants.variant_seed(attempt.seed, version.id)])
        assert again == [slot.variant]
        stored = session.get(ItemVariant, (version.id, slot.variant_seed))
        assert stored is not None and stored.params == slot.variant


@pytest.mark.parametrize("change, field", [
    ({"generator": "def generate(:\n    pass"}, "generator"),
    ({"generator": "import os\ndef generate():\n    return {'a': 1}"}, "generator"),
    ({"generator": "def generate():\n    return [1, 2]"}, "generator"),
    ({"generator": "def generate():\n    while True:\n        pass"}, "generator"),
    ({"answer": "{{nothing}}"}, "generator"),
    ({"answer": "{{b}}x"}, "answer"),
])
def test_a_broken_generator_is_refused_naming_the_problem(
        database: Database, change: dict[str, str], field: str) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        with pytest.raises(Invalid) as refused:
            items.create_item(session, world.school.id, "numeric", "Cassé",
                              {**PRODUCT, **change}, author_id=world.teacher.id)
        assert refused.value.code == "item_invalid"
        assert refused.value.params["field"] == field


def test_a_generator_failing_for_one_seed_gives_way_to_the_next(database: Database) -> None:
    flaky = ("def generate():\n    a = rng.randint(0, 3)\n"
             "    return {'a': a, 'answer': 12 // a}\n")
    content = {"stem": {"fr": "12 divisé par {{a}}"}, "answer": "{{answer}}", "generator": flaky}
    with database.session() as session:
        world = make_school(session, students=1)
        # Saving checks several seeds: a generator that fails for one of them is refused.
        with pytest.raises(Invalid):
            items.create_item(session, world.school.id, "numeric", "Division", content)
    # At a start, a failing seed (a draw of 0 here) moves on to the next one.
    seeds = [s for s in range(200) if variants.generate(
        "def generate():\n    return {'a': rng.randint(0, 3)}\n", [s])[0]["a"] == 0]
    assert seeds
    results = variants._generate_each(flaky, seeds[:3] + [1000])  # noqa: SLF001
    by_seed = {k: v for chunk in results for k, v in chunk.items()}
    assert [by_seed[s] for s in seeds[:3]] == [None, None, None]
    assert by_seed[1000] is None or by_seed[1000]["answer"] == 12 // by_seed[1000]["a"]


def test_preparing_a_sitting_generates_every_variant_before_the_start(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=4)
        version = make_parametrised(session, world)
        sitting = open_sitting(session, world)
        report = preparation.prepare_sitting(session, sitting.id)
        assert (report.candidates, report.variants, report.failed) == (4, 4, 0)
        seeds = dict(session.execute(select(PreparedSeed.student_id, PreparedSeed.seed)
                                     .where(PreparedSeed.sitting_id == sitting.id)).all())
        stored = session.scalar(select(func.count()).select_from(ItemVariant)) or 0
        assert stored >= 3  # four seeds, a collision of two is possible but not of all

        # Running it again keeps the seeds it chose.
        preparation.prepare_sitting(session, sitting.id)
        assert dict(session.execute(select(PreparedSeed.student_id, PreparedSeed.seed)
                                    .where(PreparedSeed.sitting_id == sitting.id)).all()) == seeds

    # The start takes the prepared seed and finds its variant stored: nothing is generated.
    def broken_generate(source: str, seeds: list[int]) -> list[variants.Params]:
        raise AssertionError("the variant should have been prepared")

    original = variants.generate
    variants.generate = broken_generate  # type: ignore[assignment]
    try:
        with database.session() as session:
            student = world.students[0]
            attempt = attempts.start_or_resume(session, sitting.id, student.id, utcnow())
            assert attempt.seed == seeds[student.id]
            slot = attempts.slots_of(session, attempt.id)[0]
            assert slot.variant == session.get(
                ItemVariant, (version.id, variants.variant_seed(attempt.seed, version.id))).params
            assert session.scalar(select(func.count()).select_from(ItemVariant)) == stored
    finally:
        variants.generate = original  # type: ignore[assignment]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 1
        assert session.scalar(select(func.count()).select_from(AttemptSlot)) == 1


def test_a_plain_item_has_no_variant(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        sitting = open_sitting(session, world)
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
        assert all(s.variant is None and s.variant_seed is None
                   for s in attempts.slots_of(session, attempt.id))
