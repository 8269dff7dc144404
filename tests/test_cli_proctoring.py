"""``ardoise proctoring purge`` on a real database: the detail of a sitting past its retention
period goes, a recent sitting's stays, and the reviews remain."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import attempts
from proctoring import events, policies
from proctoring.models import IntegrityEvent, IntegrityReview
from tests.factories import make_school, open_sitting
from tests.test_cli import ardoise


def test_purge_deletes_only_what_is_past_its_retention(tmp_path: Path) -> None:
    assert ardoise("db", "upgrade", data_dir=tmp_path).returncode == 0
    database = Database(f"sqlite:///{tmp_path / 'ardoise.db'}")
    now = utcnow()
    with database.session() as session:
        world = make_school(session, students=1)
        old = open_sitting(session, world, opens=now - timedelta(days=60),
                           closes=now - timedelta(days=40))
        recent = open_sitting(session, world)
        for sitting, when in ((old, now - timedelta(days=59)), (recent, now)):
            policies.set_policy(session, sitting.id, counted=["copy"], thresholds={},
                                retention_days=30, now=when)
            attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, when)
            events.record_event(session, attempt, "copy", now=when, detail={"length": 3})
        old_id, recent_id = old.id, recent.id
    purged = ardoise("proctoring", "purge", data_dir=tmp_path)
    assert purged.returncode == 0, purged.stderr
    assert f"{old_id}: 1 events deleted" in purged.stdout
    assert "1 sitting(s) purged" in purged.stdout
    with database.session() as session:
        left = dict(session.execute(select(IntegrityEvent.sitting_id, func.count())
                                    .group_by(IntegrityEvent.sitting_id)).all())
        assert left == {recent_id: 1}
        reviews = list(session.scalars(select(IntegrityReview)))
        assert [(r.sitting_id, r.status) for r in reviews] == [(old_id, "not_reviewed")]
    again = ardoise("proctoring", "purge", data_dir=tmp_path)
    assert "0 sitting(s) purged" in again.stdout
    database.dispose()
