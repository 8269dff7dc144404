"""Item banks, confidentiality, metadata, the review workflow and imports (both databases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from ardoise.db import Database
from ardoise.errors import Conflict, Forbidden, Invalid, NotFound
from item_bank import banks, importing, workflow
from item_bank import service as items
from item_bank.models import Item, ItemVersion
from item_bank.workflow import ItemStatus
from student_records import service as records
from student_records.models import Role
from tests.factories import ITEMS, make_school


@dataclass(frozen=True)
class Parsed:
    source_id: str
    item_type: str
    title: str
    content: dict[str, Any]
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


def outsider(session: Any, school: Any, name: str) -> Any:
    person = records.create_person(session, name, password="x" * 12, given_name=name,
                                   family_name="Test")
    records.assign_role(session, person, Role.TEACHER, school)
    return person


def test_a_confidential_bank_is_seen_by_its_members_only(database: Database) -> None:
    with database.session() as session:
        world = make_school(session)
        colleague = outsider(session, world.school, "collegue")
        ministry = banks.create_bank(session, world.school.id, "Ministère", True,
                                     world.teacher.id)
        open_bank = banks.create_bank(session, world.school.id, "École", False,
                                      world.teacher.id)
        name, content = ITEMS[0]
        secret = items.create_item(session, world.school.id, name, "Secret", content,
                                   author_id=world.teacher.id, bank_id=ministry.id)
        shared = items.create_item(session, world.school.id, name, "Partagé", content,
                                   author_id=world.teacher.id, bank_id=open_bank.id)
        loose = items.create_item(session, world.school.id, name, "Libre", content,
                                  author_id=world.teacher.id)
        orgs = {world.school.id}
        mine = {i.id for i in banks.visible_items(session, world.teacher.id, orgs)}
        theirs = {i.id for i in banks.visible_items(session, colleague.id, orgs)}
        assert {secret.item_id, shared.item_id, loose.item_id} <= mine
        assert {shared.item_id, loose.item_id} <= theirs
        assert mine - theirs == {secret.item_id}
        assert [b.name for b in banks.visible_banks(session, colleague.id, orgs)] == ["École"]
        hidden = items.get_item(session, secret.item_id)
        with pytest.raises(NotFound):
            banks.require_visible(session, hidden, colleague.id, orgs)
        banks.require_visible(session, hidden, world.teacher.id, orgs)
        # Staff of another school see nothing of this school's items, even open ones.
        with pytest.raises(NotFound):
            banks.require_visible(session, items.get_item(session, shared.item_id),
                                  colleague.id, {"another-school"})
        with pytest.raises(Forbidden):
            banks.add_member(session, ministry.id, colleague.id, banks.BankRole.AUTHOR,
                             by_person_id=colleague.id)
        banks.add_member(session, ministry.id, colleague.id, banks.BankRole.REVIEWER,
                         by_person_id=world.teacher.id)
        assert secret.item_id in {i.id for i in banks.visible_items(session, colleague.id,
                                                                    orgs)}
        # A student is staff nowhere and member of no bank: the bank shows them nothing.
        assert banks.visible_items(session, world.students[0].id, set()) == []
        with pytest.raises(Conflict):
            banks.create_bank(session, world.school.id, "Ministère", False, None)


def test_metadata_is_validated_and_the_workflow_records_its_reviewer(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session)
        reviewer = outsider(session, world.school, "reviseure")
        bank = banks.create_bank(session, world.school.id, "Banque", True, world.teacher.id)
        banks.add_member(session, bank.id, reviewer.id, banks.BankRole.REVIEWER,
                         by_person_id=world.teacher.id)
        name, content = ITEMS[3]
        version = items.create_item(session, world.school.id, name, "Pi", content,
                                    author_id=world.teacher.id, bank_id=bank.id)
        item = workflow.set_metadata(session, version.item_id, {
            "subject": "Mathématique", "level": "Secondaire 4", "competency": "Résoudre",
            "difficulty": 3, "licence": "CC BY-SA 4.0", "tags": ["Géométrie", "géométrie", "π"]})
        assert (item.subject, item.level, item.difficulty, item.tags) == (
            "Mathématique", "Secondaire 4", 3, ["géométrie", "π"])
        for bad in ({"difficulty": 9}, {"tags": "x"}, {"subject": "x" * 81}, {"colour": "x"}):
            with pytest.raises(Invalid) as refused:
                workflow.set_metadata(session, version.item_id, bad)
            assert refused.value.params["field"] in bad
        assert item.status == ItemStatus.DRAFT
        with pytest.raises(Forbidden):  # the author is no reviewer of the bank
            workflow.change_status(session, item.id, ItemStatus.REVIEWED, world.teacher.id)
        with pytest.raises(Invalid):  # a draft is not published without review
            workflow.change_status(session, item.id, ItemStatus.PUBLISHED, reviewer.id)
        workflow.change_status(session, item.id, ItemStatus.REVIEWED, reviewer.id)
        assert item.reviewed_by == reviewer.id and item.reviewed_at is not None
        workflow.change_status(session, item.id, ItemStatus.PUBLISHED, reviewer.id)
        items.revise_item(session, item.id, content, author_id=world.teacher.id)
        assert (item.status, item.reviewed_by) == (ItemStatus.DRAFT, None)


def test_an_import_is_all_or_nothing_and_a_known_source_makes_a_new_version(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session)
        bank = banks.create_bank(session, world.school.id, "Importés", False, world.teacher.id)
        first = [Parsed(f"q{n}", name, f"Question {n}", content, ("Algèbre",),
                        {"level": "Secondaire 4", "points": 2})
                 for n, (name, content) in enumerate(ITEMS)]
        done = importing.import_items(session, world.school.id, bank.id, first,
                                      world.teacher.id)
        assert [(d.version, d.created) for d in done] == [(1, True)] * len(ITEMS)
        stored = session.scalar(select(Item).where(Item.source_id == "q0"))
        assert stored is not None and stored.tags == ["algèbre"]
        assert stored.level == "Secondaire 4"
        count = session.scalar(select(func.count()).select_from(Item))
        broken = [*first[:2], Parsed("q9", "numeric", "Cassée", {"stem": "x"})]
        with pytest.raises(Invalid) as refused:
            importing.import_items(session, world.school.id, bank.id, broken, world.teacher.id)
        assert refused.value.params["item"] == "q9"
        assert session.scalar(select(func.count()).select_from(Item)) == count
        assert session.scalar(select(func.max(ItemVersion.number))) == 1  # nothing written
        again = importing.import_items(session, world.school.id, bank.id, first[:2],
                                       world.teacher.id)
        assert [(d.item_id, d.version, d.created) for d in again] == [
            (d.item_id, 2, False) for d in done[:2]]
        assert session.scalar(select(func.count()).select_from(Item)) == count
        checked = importing.import_items(session, world.school.id, bank.id,
                                         [Parsed("new", *ITEMS[1][:1], "Neuf", ITEMS[1][1])],
                                         world.teacher.id, dry_run=True)
        assert checked[0].created
        assert session.scalar(select(Item).where(Item.source_id == "new")) is None
        with pytest.raises(Invalid) as changed:
            importing.import_items(session, world.school.id, bank.id,
                                   [Parsed("q0", "numeric", "Autre", ITEMS[3][1])],
                                   world.teacher.id)
        assert changed.value.params["reason"] == "import_type_changed"
