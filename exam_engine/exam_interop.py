"""Exams as QTI assessment tests: written into an export package, read back from an import.

An exported exam becomes a test naming its pinned items (their export source ids) in order;
a section drawn from a pool has no faithful QTI form here (QTI's selection draws from the
section's own items, with none of our difficulty bands or unseen-first rule), so an exam
with sections is exported without them and listed with the reason. A parametrised item is
not exported (see ``ardoise items export``), and a test naming it leaves it out.

An imported test becomes an exam of the importing organisation holding the imported items
it names, in its order. Importing the same file again finds the exam it made (same title,
same items in the same order) instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid
from exam_engine.exams import create_exam, exam_entries
from exam_engine.models import Exam
from item_bank.importing import export_source_id
from item_bank.interop.model import ParsedTest
from item_bank.models import Item, ItemVersion

EXPORT_PREFIX = "ardoise-exam-"


@dataclass(frozen=True)
class ExportSkip:
    exam_id: str
    title: str
    reason: str


@dataclass(frozen=True)
class ImportedExam:
    exam_id: str  # empty when the exam could not be made (``refused`` says why)
    title: str
    items: int
    created: bool
    refused: str = ""


def _pinned_items(session: Session, exam_id: str) -> list[str]:
    """The item ids an exam pins, in order."""
    versions = [e.item_version_id for e in exam_entries(session, exam_id) if e.item_version_id]
    items = dict(session.execute(select(ItemVersion.id, ItemVersion.item_id).where(
        ItemVersion.id.in_(versions))).all()) if versions else {}
    return [items[v] for v in versions]


def tests_for_export(
    session: Session, exams: Iterable[Exam], exported_item_ids: set[str],
) -> tuple[list[ParsedTest], list[ExportSkip]]:
    """The tests of ``exams`` naming only items the package holds, and what was left out."""
    tests: list[ParsedTest] = []
    skipped: list[ExportSkip] = []
    for exam in exams:
        entries = exam_entries(session, exam.id)
        if any(e.pool_id for e in entries):
            skipped.append(ExportSkip(exam.id, exam.title,
                                      "sections drawn from pools have no QTI form here"))
        item_ids = [i for i in _pinned_items(session, exam.id) if i in exported_item_ids]
        if len(item_ids) < sum(1 for e in entries if e.item_version_id):
            skipped.append(ExportSkip(exam.id, exam.title,
                                      "items left out of the package are left out of it"))
        if not item_ids:
            continue
        items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
        tests.append(ParsedTest(source_id=f"{EXPORT_PREFIX}{exam.id}", title=exam.title,
                                item_source_ids=tuple(export_source_id(items[i])
                                                      for i in item_ids)))
    return tests, skipped


def import_tests(
    session: Session, organisation_id: str, tests: Iterable[ParsedTest],
    item_ids_by_source: Mapping[str, str], author_id: str | None,
) -> list[ImportedExam]:
    """An exam per test, of the items it names that were imported (in its order); a test
    whose exam exists already (same title and items) is found, not made again."""
    done: list[ImportedExam] = []
    for test in tests:
        item_ids = list(dict.fromkeys(item_ids_by_source[s] for s in test.item_source_ids
                                      if s in item_ids_by_source))
        if not item_ids:
            continue
        title = (test.title or test.source_id).strip()[:200]
        found = next((exam for exam in session.scalars(select(Exam).where(
            Exam.organisation_id == organisation_id, Exam.title == title))
            if _pinned_items(session, exam.id) == item_ids), None)
        if found is not None:
            done.append(ImportedExam(found.id, found.title, len(item_ids), False))
            continue
        try:
            with session.begin_nested():
                exam = create_exam(session, organisation_id, title, author_id, item_ids)
        except Invalid as error:
            # Items of a confidential bank are not published on import: no exam yet.
            done.append(ImportedExam("", title, len(item_ids), False, error.code))
            continue
        done.append(ImportedExam(exam.id, exam.title, len(item_ids), True))
    return done


def exams_from_tests(session: Session, organisation_id: str, tests: Sequence[ParsedTest],
                     item_ids_by_source: Mapping[str, str],
                     author_id: str | None) -> list[dict[str, Any]]:
    """:func:`import_tests` as the records an import reports (the bulk import's hook)."""
    return [{"id": e.exam_id, "title": e.title, "items": e.items, "new": e.created,
             **({"refused": e.refused} if e.refused else {})}
            for e in import_tests(session, organisation_id, tests, item_ids_by_source,
                                  author_id)]
