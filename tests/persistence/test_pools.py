"""Pools and exam sections: N items drawn per attempt by tags and difficulty, fixed by the
attempt's seed, unseen items first; and which items an exam may use at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Invalid
from exam_engine import attempts, exams, reports, sittings
from item_bank import banks, pools, workflow
from item_bank import service as items
from item_bank.models import Item
from item_bank.workflow import ItemStatus
from tests.factories import make_school


def choice(n: int) -> dict[str, object]:
    return {"stem": {"fr": f"Question {n}"}, "correct": "a",
            "options": [{"id": "a", "text": {"fr": "oui"}}, {"id": "b", "text": {"fr": "non"}}]}


def publish(session, item_id: str, reviewer_id: str) -> None:  # type: ignore[no-untyped-def]
    workflow.change_status(session, item_id, ItemStatus.REVIEWED, reviewer_id)
    workflow.change_status(session, item_id, ItemStatus.PUBLISHED, reviewer_id)


def make_pool_items(session, world, count: int = 12):  # type: ignore[no-untyped-def]
    """``count`` published fractions items, difficulties 1..5 in turn, and two others."""
    ids = []
    for n in range(count):
        item = items.create_item(session, world.school.id, "single_choice", f"Fraction {n}",
                                 choice(n), author_id=world.teacher.id)
        workflow.set_metadata(session, item.item_id, {"tags": ["fractions", "sec4"],
                                                      "difficulty": n % 5 + 1})
        publish(session, item.item_id, world.grader.id)
        ids.append(item.item_id)
    draft = items.create_item(session, world.school.id, "single_choice", "Brouillon",
                              choice(99), author_id=world.teacher.id)
    workflow.set_metadata(session, draft.item_id, {"tags": ["fractions", "sec4"]})
    other = items.create_item(session, world.school.id, "single_choice", "Géométrie",
                              choice(98), author_id=world.teacher.id)
    workflow.set_metadata(session, other.item_id, {"tags": ["geometrie", "sec4"]})
    publish(session, other.item_id, world.grader.id)
    return ids, draft.item_id, other.item_id


def section_exam(session, world, pool_id: str, count: int,  # type: ignore[no-untyped-def]
                 low: int | None = None, high: int | None = None):
    exam = exams.create_exam(session, world.school.id, "Tirage", world.teacher.id, [])
    exams.add_section(session, exam, pool_id, count, low, high)
    return exam


def schedule(session, world, exam, title: str = "Séance"):  # type: ignore[no-untyped-def]
    now = utcnow()
    return sittings.schedule_sitting(
        session, exam, title=title, opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1), time_limit_seconds=600, class_id=world.klass.id,
        author_id=world.teacher.id)


def drawn_items(session, attempt) -> list[str]:  # type: ignore[no-untyped-def]
    return [items.get_version(session, s.item_version_id).item_id
            for s in attempts.slots_of(session, attempt.id)]


def test_a_section_draws_published_items_of_the_pool_in_the_band(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=5)
        ids, draft, other = make_pool_items(session, world)
        pool = pools.create_pool(session, world.school.id, "Fractions", ["Fractions"],
                                 creator_id=world.teacher.id)
        assert pool.tags == ["fractions"]
        exam = section_exam(session, world, pool.id, 3, low=2, high=4)
        sitting = schedule(session, world, exam)
        in_band = {i for n, i in enumerate(ids) if 2 <= n % 5 + 1 <= 4}
        draws = []
        for student in world.students:
            attempt = attempts.start_or_resume(session, sitting.id, student.id, utcnow())
            drawn = drawn_items(session, attempt)
            assert len(drawn) == len(set(drawn)) == 3
            assert set(drawn) <= in_band and draft not in drawn and other not in drawn
            assert {s.exam_position for s in attempts.slots_of(session, attempt.id)} == {0}
            draws.append(frozenset(drawn))
        assert len(set(draws)) > 1  # five students, not all the same three of seven items
        progress = sittings.progress(session, sitting)
        assert {row.total for row in progress} == {3}


def test_the_draw_is_fixed_by_the_seed(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        make_pool_items(session, world)
        pool = pools.create_pool(session, world.school.id, "Fractions", ["fractions"])
        exam = section_exam(session, world, pool.id, 4)
        student = world.students[0].id
        first = attempts.plan_questions(session, exam, 12345, student)
        assert attempts.plan_questions(session, exam, 12345, student) == first
        assert any(attempts.plan_questions(session, exam, seed, student) != first
                   for seed in range(1, 6))


def test_a_second_attempt_draws_items_the_student_has_not_seen(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        ids, _draft, _other = make_pool_items(session, world, count=8)
        pool = pools.create_pool(session, world.school.id, "Fractions", ["fractions"])
        exam = section_exam(session, world, pool.id, 4)
        student = world.students[0]
        first = attempts.start_or_resume(session, schedule(session, world, exam, "1").id,
                                         student.id, utcnow())
        second = attempts.start_or_resume(session, schedule(session, world, exam, "2").id,
                                          student.id, utcnow())
        assert set(drawn_items(session, first)).isdisjoint(drawn_items(session, second))
        # A third attempt has seen all eight: it still gets four, seen ones now.
        third = attempts.start_or_resume(session, schedule(session, world, exam, "3").id,
                                         student.id, utcnow())
        assert len(set(drawn_items(session, third))) == 4 and set(
            drawn_items(session, third)) <= set(ids)


def test_a_section_never_draws_an_item_the_exam_already_pins(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=3)
        ids, _draft, _other = make_pool_items(session, world, count=5)
        pool = pools.create_pool(session, world.school.id, "Fractions", ["fractions"])
        exam = exams.create_exam(session, world.school.id, "Mixte", world.teacher.id,
                                 [ids[0], ids[1]])
        exams.add_section(session, exam, pool.id, 3)
        sitting = schedule(session, world, exam)
        for student in world.students:
            attempt = attempts.start_or_resume(session, sitting.id, student.id, utcnow())
            drawn = drawn_items(session, attempt)
            assert sorted(drawn) == sorted(ids)  # two pinned and the other three
        rows = reports.question_success(session, sitting)
        assert {r.position for r in rows} == {0, 1, 2}
        assert sorted(r.title for r in rows if r.position == 2) == [
            "Fraction 2", "Fraction 3", "Fraction 4"]


@pytest.mark.parametrize("count, low, high, code", [
    (13, None, None, "pool_too_small"),
    (3, 5, 5, "pool_too_small"),
    (0, None, None, "exam_invalid"),
    (2, 4, 2, "exam_invalid"),
    (2, 0, 3, "exam_invalid"),
])
def test_a_section_the_pool_cannot_fill_is_refused(
        database: Database, count: int, low: int | None, high: int | None, code: str) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        make_pool_items(session, world)
        pool = pools.create_pool(session, world.school.id, "Fractions", ["fractions"])
        exam = exams.create_exam(session, world.school.id, "Tirage", world.teacher.id, [])
        with pytest.raises(Invalid) as refused:
            exams.add_section(session, exam, pool.id, count, low, high)
        assert refused.value.code == code
        assert exams.exam_entries(session, exam.id) == []


def test_a_pool_of_another_school_is_refused(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        elsewhere = make_school(session, prefix="x", students=1)
        make_pool_items(session, elsewhere)
        pool = pools.create_pool(session, elsewhere.school.id, "Fractions", ["fractions"])
        exam = exams.create_exam(session, world.school.id, "Tirage", world.teacher.id, [])
        with pytest.raises(Invalid):
            exams.add_section(session, exam, pool.id, 1)


def test_retired_and_unreviewed_confidential_items_stay_out_of_exams(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        retired = items.create_item(session, world.school.id, "single_choice", "Ancienne",
                                    choice(1), author_id=world.teacher.id)
        workflow.change_status(session, retired.item_id, ItemStatus.RETIRED, world.teacher.id)
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
        banks.add_member(session, bank.id, world.grader.id, banks.BankRole.REVIEWER,
                         world.teacher.id)
        secret = items.create_item(session, world.school.id, "single_choice", "Épreuve",
                                   choice(2), author_id=world.teacher.id, bank_id=bank.id)
        exam = exams.create_exam(session, world.school.id, "Examen", world.teacher.id, [])
        for item_id, code in ((retired.item_id, "exam_item_retired"),
                              (secret.item_id, "exam_item_unpublished")):
            with pytest.raises(Invalid) as refused:
                exams.add_item(session, exam, item_id)
            assert refused.value.code == code
        publish(session, secret.item_id, world.grader.id)  # not its own author
        exams.add_item(session, exam, secret.item_id)
        assert len(exams.exam_entries(session, exam.id)) == 1
        assert session.get(Item, secret.item_id).status == "published"
