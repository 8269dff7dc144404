"""Migrating a database that holds a school's work keeps every row, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from ardoise import migrate
from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts
from exam_engine.models import AttemptSlot
from item_bank import service as items
from tests.conftest import sqlite_url
from tests.factories import ITEMS, RIGHT, make_school, open_sitting
from tests.services import fresh_pg_database, worker_id

TABLES = ["organisations", "people", "items", "item_versions", "exams", "exam_items",
          "sittings", "attempts", "attempt_slots", "answer_log"]


def counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in TABLES}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_down_to_0002_and_up_again_keeps_everything(kind: str, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path) if kind == "sqlite" else fresh_pg_database(
        f"ardoise_mig_{worker_id()}")
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        world = make_school(session, students=2)
        sitting = open_sitting(session, world, time_limit=1800)
        student = world.students[0].id
        attempt = attempts.start_or_resume(session, sitting.id, student, utcnow())
        first = session.scalars(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id)
                                .order_by(AttemptSlot.slot)).first()
        assert first is not None
        kind = items.get_version(session, first.item_version_id).item_type
        answer_log.save(session, attempt.id, student, slot=first.slot, seq=1,
                        response=RIGHT[[k for k, _ in ITEMS].index(kind)], now=utcnow(),
                        grace_seconds=5, device_id="device")
    before = counts(database)
    assert all(before[t] > 0 for t in TABLES), before
    database.dispose()
    migrate.downgrade(url, "0002")
    migrate.upgrade(url)
    database = Database(url)
    try:
        assert counts(database) == before
        with database.engine.connect() as connection:
            documents = connection.execute(text("SELECT count(*) FROM item_search")).scalar_one()
        assert documents == before["items"]  # the search documents are rebuilt
    finally:
        database.dispose()
