"""Revision 0003 finds the essays that graded attempts left awaiting a grader before it existed.

The data is written with the schema of revision 0002, so through SQL rather than the
services (whose models are those of the newest revision).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ardoise import migrate
from ardoise.clock import utcnow
from ardoise.db import Database, UTCDateTime


def _insert(connection: sa.Connection, table: str, **values: Any) -> None:
    columns = [sa.column(k, UTCDateTime() if k.endswith("_at") or k == "deadline" else
                         sa.JSON() if k in ("content", "response") else None) for k in values]
    connection.execute(sa.insert(sa.table(table, *columns)).values(**values))


def test_upgrading_marks_earlier_essays_as_awaiting_marking(db_url: str) -> None:
    migrate.downgrade(db_url, "0002")
    now = utcnow()
    database = Database(db_url)
    with database.engine.begin() as c:
        _insert(c, "organisations", id="s", name="École", kind="school")
        _insert(c, "items", id="i", organisation_id="s", item_type="extended_text",
                title="Essai", latest_version=1, created_at=now)
        _insert(c, "item_versions", id="v", item_id="i", number=1, item_type="extended_text",
                content={"stem": {"fr": "?"}, "max_length": 100, "points": 5.0}, created_at=now)
        _insert(c, "exams", id="e", organisation_id="s", title="E", shuffle_questions=False,
                shuffle_options=False, created_at=now)
        _insert(c, "sittings", id="t", exam_id="e", organisation_id="s", title="T",
                opens_at=now, closes_at=now, display_mode="one", created_at=now)
        for n, (graded, points) in enumerate(((True, None), (True, 0.0), (False, None))):
            _insert(c, "people", id=f"p{n}", username=f"p{n}", given_name="", family_name="",
                    locale="fr", active=True, created_at=now)
            _insert(c, "attempts", id=f"a{n}", sitting_id="t", student_id=f"p{n}",
                    state="submitted", seed=1, started_at=now, extra_time_percent=0,
                    extension_seconds=0, paused_seconds=0.0, deadline=now, last_seq=1,
                    last_hash="h", graded_at=now if graded else None)
            _insert(c, "attempt_slots", attempt_id=f"a{n}", slot=0, item_version_id="v",
                    seq=1, response={"text": "x"}, points=points,
                    max_points=5.0 if graded else None)
    database.dispose()
    migrate.upgrade(db_url, "0003")
    database = Database(db_url)
    try:
        with database.engine.connect() as c:
            awaiting = dict(c.execute(sa.text("SELECT id, awaiting_marks FROM attempts")).all())
            manual = dict(c.execute(sa.text("SELECT attempt_id, manual FROM attempt_slots")).all())
    finally:
        database.dispose()
    # a0 was graded with its essay left to a grader; a1's essay was empty (0 points);
    # a2 was never graded.
    assert awaiting == {"a0": 1, "a1": 0, "a2": 0}
    assert {k: bool(v) for k, v in manual.items()} == {"a0": True, "a1": False, "a2": False}
