"""The bulk import task's service on SQLite and PostgreSQL: all or nothing, progress, the row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from ardoise.db import Database
from item_bank import importing
from item_bank.bulk_import import run_import
from item_bank.interop.detect import parse
from item_bank.models import Item, ItemImport
from item_bank.rich_text import sanitise_html
from tests.factories import make_school
from tests.interop.conftest import sample, zipped


def queued(database: Database, organisation_id: str, author_id: str, name: str,
           data: bytes, directory: Path, **options: bool) -> tuple[str, Path]:
    with database.session() as session:
        job = ItemImport(organisation_id=organisation_id, created_by=author_id,
                         filename=name, **options)
        session.add(job)
        session.flush()
        import_id = job.id
    upload = directory / import_id
    upload.write_bytes(data)
    return import_id, upload


def count_items(database: Database, organisation_id: str) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Item).where(
            Item.organisation_id == organisation_id)) or 0


def test_a_good_package_is_imported_and_recorded_and_a_bad_file_writes_nothing(
        database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
    before = count_items(database, world.school.id)
    good_id, good = queued(database, world.school.id, world.teacher.id, "sciences.zip",
                           zipped("qti3_package"), tmp_path)
    run_import(database, good_id, good)
    expected = len(parse(zipped("qti3_package"), "sciences.zip").items)
    with database.session() as session:
        job = session.get(ItemImport, good_id)
        assert job is not None and job.status == "done"
        assert (job.done, job.total) == (expected, expected)
        assert job.result is not None and len(job.result["items"]) == expected
        assert all(entry["new"] for entry in job.result["items"])
    assert count_items(database, world.school.id) == before + expected

    bad_id, bad = queued(database, world.school.id, world.teacher.id, "histoire.xml",
                         sample("malformed_moodle.xml"), tmp_path)
    run_import(database, bad_id, bad)
    with database.session() as session:
        job = session.get(ItemImport, bad_id)
        assert job is not None and job.status == "failed" and job.finished_at is not None
        assert job.error is not None and job.error["params"]["file"] == "histoire.xml"
        assert job.error["params"]["item"] == "Fondateur sans bonne réponse"
    assert count_items(database, world.school.id) == before + expected
    assert not good.exists() and not bad.exists()

    # The same package again: new versions of the same items, not duplicates.
    again_id, again = queued(database, world.school.id, world.teacher.id, "sciences.zip",
                             zipped("qti3_package"), tmp_path)
    run_import(database, again_id, again)
    with database.session() as session:
        job = session.get(ItemImport, again_id)
        assert job is not None and job.result is not None
        assert {entry["version"] for entry in job.result["items"]} == {2}
    assert count_items(database, world.school.id) == before + expected


def test_a_dry_run_writes_no_item_and_progress_counts_every_item(
        database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
    before = count_items(database, world.school.id)
    job_id, upload = queued(database, world.school.id, world.teacher.id, "sciences.zip",
                            zipped("qti3_package"), tmp_path, dry_run=True)
    run_import(database, job_id, upload)
    with database.session() as session:
        job = session.get(ItemImport, job_id)
        assert job is not None and job.status == "done" and job.result is not None
        assert job.result["dry_run"] is True and job.done == job.total > 0
    assert count_items(database, world.school.id) == before

    parsed = parse(zipped("qti3_package"), "sciences.zip", sanitise=sanitise_html).items
    heard: list[int] = []
    with database.session() as session:
        importing.import_items(session, world.school.id, None, parsed, world.teacher.id,
                               progress=heard.append)
    assert heard == list(range(1, len(parsed) + 1))
