"""Full-text search over items: accents and case ignored, filters, confidentiality."""

from __future__ import annotations

from typing import Any

from ardoise.db import Database
from item_bank import banks, workflow
from item_bank import service as items
from item_bank.search import SearchFilters, normalise, search_items
from student_records import service as records
from student_records.models import Role
from tests.factories import make_school

EQUATION = {"stem": {"fr": "Résolvez l'équation du second degré", "en": "Solve the quadratic"},
            "answer": 2.0, "tolerance": 0.0}
RIVER = {"stem": {"fr": "Quel fleuve traverse Montréal?"}, "answers": ["Saint-Laurent"]}
SECRET = {"stem": {"fr": "Équation ministérielle confidentielle"}, "answer": 1.0}


def ids(found: list[Any]) -> set[str]:
    return {i.id for i in found}


def test_search_ignores_accents_and_case_and_respects_filters_and_banks(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        colleague = records.create_person(session, "collegue", password="x" * 12,
                                          given_name="C", family_name="T")
        records.assign_role(session, colleague, Role.TEACHER, world.school)
        ministry = banks.create_bank(session, world.school.id, "Ministère", True,
                                     world.teacher.id)
        equation = items.create_item(session, world.school.id, "numeric", "Équation",
                                     EQUATION, author_id=world.teacher.id).item_id
        river = items.create_item(session, world.school.id, "short_text", "Fleuve", RIVER,
                                  author_id=world.teacher.id).item_id
        secret = items.create_item(session, world.school.id, "numeric", "Secret", SECRET,
                                   author_id=world.teacher.id, bank_id=ministry.id).item_id
        workflow.set_metadata(session, river, {"subject": "Géographie", "level": "Secondaire 2",
                                               "tags": ["Québec"]})
        orgs = {world.school.id}
        teacher, other = world.teacher.id, colleague.id
        assert ids(search_items(session, "EQUATION", teacher, orgs)) == {equation, secret}
        assert ids(search_items(session, "équation", other, orgs)) == {equation}
        assert ids(search_items(session, "second degre", teacher, orgs)) == {equation}
        assert ids(search_items(session, "quadratic", teacher, orgs)) == {equation}
        assert ids(search_items(session, "traverse fleuve", teacher, orgs)) == {river}
        assert ids(search_items(session, "geographie", teacher, orgs)) == {river}
        # The answer key is not searchable text.
        assert ids(search_items(session, "saint laurent", teacher, orgs)) == set()
        by_level = search_items(session, "", teacher, orgs,
                                SearchFilters(level="Secondaire 2"))
        assert ids(by_level) == {river}
        by_tag = search_items(session, "", teacher, orgs, SearchFilters(tag="québec"))
        assert ids(by_tag) == {river}
        by_type = search_items(session, "equation", teacher, orgs,
                               SearchFilters(item_type="numeric", bank_id=ministry.id))
        assert ids(by_type) == {secret}
        # Staff of no organisation here: only the banks they are a member of.
        assert ids(search_items(session, "equation", teacher, {"another-school"})) == {secret}
        assert ids(search_items(session, "equation", other, {"another-school"})) == set()
        # A revision is found by its new words only.
        items.revise_item(session, river, {**RIVER, "stem": {"fr": "Quel fleuve baigne Québec?"}})
        assert ids(search_items(session, "traverse", teacher, orgs)) == set()
        assert ids(search_items(session, "baigne", teacher, orgs)) == {river}
        # Words that look like query syntax are only words.
        assert search_items(session, 'fleuve" OR "x', teacher, orgs) == []
        assert normalise("  Équation   du 2ᵉ DEGRÉ ") == "equation du 2e degre"
