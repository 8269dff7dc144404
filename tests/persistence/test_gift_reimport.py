"""GIFT questions with a repeated title, or none, get unique ids that re-imports find again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ardoise.db import Database
from ardoise.errors import Invalid
from item_bank import importing
from item_bank.interop.detect import parse
from item_bank.interop.gift import UniqueIds
from item_bank.models import Item
from tests.factories import make_school

GIFT = """$CATEGORY: Mathématiques/Fractions

::Q1:: Un demi plus un demi? {=1 =un}

::Q1:: Deux tiers est-il plus grand qu'un demi? {T}

Sans titre: 2 + 2 = ? {=4}

Sans titre: 2 + 2 = ? {=4}

$CATEGORY: Sciences

::Q1:: L'eau bout à 100 °C au niveau de la mer. {T}

::Q1#2:: Un titre écrit ainsi à la main. {F}
"""


def test_repeated_and_missing_titles_get_unique_ids_in_file_order() -> None:
    ids = [i.source_id for i in parse(GIFT.encode(), "maths.gift").items]
    untitled = ids[2]
    assert untitled.startswith("gift-") and len(untitled) == len("gift-") + 16
    assert ids == ["Q1", "Q1#2", untitled, f"{untitled}#2", "Q1#3", "Q1#2#2"]
    assert ids == [i.source_id for i in parse(GIFT.encode(), "renamed.gift").items]


def test_unique_ids_number_each_repeat() -> None:
    ids = UniqueIds()
    assert [ids.take(x) for x in ("a", "b", "a", "a#2", "a", "b")] == [
        "a", "b", "a#2", "a#2#2", "a#3", "b#2"]


def test_importing_the_same_gift_file_again_makes_new_versions(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, prefix="gift-")
        before = session.scalar(select(func.count()).select_from(Item)) or 0
        first = importing.import_items(session, world.school.id, None,
                                       parse(GIFT.encode(), "maths.gift").items,
                                       world.teacher.id, filename="maths.gift")
        assert [d.created for d in first] == [True] * 6
        again = importing.import_items(session, world.school.id, None,
                                       parse(GIFT.encode(), "maths.gift").items,
                                       world.teacher.id, filename="maths.gift")
        assert [(d.item_id, d.version, d.created) for d in again] == [
            (d.item_id, 2, False) for d in first]
        assert session.scalar(select(func.count()).select_from(Item)) == before + 6


def test_a_question_that_changed_type_is_refused_naming_the_file(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, prefix="gift2-")
        importing.import_items(session, world.school.id, None,
                               parse(GIFT.encode(), "maths.gift").items, world.teacher.id)
        changed = GIFT.replace("{=1 =un}", "{#1}")
        with pytest.raises(Invalid) as refused:
            importing.import_items(session, world.school.id, None,
                                   parse(changed.encode(), "maths-v2.gift").items,
                                   world.teacher.id, filename="maths-v2.gift")
    assert refused.value.code == "import_item_invalid"
    assert refused.value.params == {"file": "maths-v2.gift", "item": "Q1",
                                    "reason": "import_type_changed", "field": "item_type"}
    assert str(refused.value).startswith("maths-v2.gift: item 'Q1': import_type_changed")
