"""The proctor's view of an attempt in progress, decided from given times (no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proctoring.events import Presence
from web.api.routes import IDLE_AFTER, live_state

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def test_in_progress_becomes_idle_or_disconnected() -> None:
    recent = NOW - timedelta(seconds=30)
    old = NOW - IDLE_AFTER - timedelta(seconds=1)
    assert live_state("in_progress", Presence(1, recent), None, NOW) == "in_progress"
    assert live_state("in_progress", Presence(1, old), None, NOW) == "idle"
    assert live_state("in_progress", Presence(1, old), recent, NOW) == "in_progress"  # a save
    assert live_state("in_progress", Presence(0, recent), recent, NOW) == "disconnected"
    assert live_state("in_progress", None, old, NOW) == "in_progress"  # never joined a page
    for state in ("paused", "locked", "submitted", "not_started"):
        assert live_state(state, Presence(0, old), None, NOW) == state
