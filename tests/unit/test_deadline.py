"""Deadline arithmetic: accommodation, the close cap, extensions and pauses."""

from datetime import UTC, datetime, timedelta

from exam_engine.deadline import compute_deadline, is_late, remaining_seconds

START = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)
CLOSE = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)


def test_time_limit_from_start() -> None:
    assert compute_deadline(started_at=START, closes_at=CLOSE, time_limit_seconds=3600) == \
        START + timedelta(hours=1)


def test_accommodation_lengthens_the_limit() -> None:
    deadline = compute_deadline(started_at=START, closes_at=CLOSE, time_limit_seconds=3600,
                                extra_time_percent=33)
    assert deadline == START + timedelta(seconds=3600 * 1.33)


def test_close_caps_the_limit_even_with_accommodation() -> None:
    late_start = CLOSE - timedelta(minutes=30)
    assert compute_deadline(started_at=late_start, closes_at=CLOSE, time_limit_seconds=3600,
                            extra_time_percent=50) == CLOSE


def test_no_time_limit_means_until_close() -> None:
    assert compute_deadline(started_at=START, closes_at=CLOSE, time_limit_seconds=None) == CLOSE


def test_extension_may_pass_the_close() -> None:
    late_start = CLOSE - timedelta(minutes=10)
    deadline = compute_deadline(started_at=late_start, closes_at=CLOSE, time_limit_seconds=3600,
                                extension_seconds=900)
    assert deadline == CLOSE + timedelta(minutes=15)


def test_pause_time_is_given_back() -> None:
    deadline = compute_deadline(started_at=START, closes_at=CLOSE, time_limit_seconds=3600,
                                paused_seconds=120.5)
    assert deadline == START + timedelta(hours=1, seconds=120.5)


def test_late_only_after_grace() -> None:
    deadline = START + timedelta(hours=1)
    assert not is_late(deadline + timedelta(seconds=4), deadline, 5)
    assert is_late(deadline + timedelta(seconds=5, milliseconds=1), deadline, 5)


def test_remaining_never_negative() -> None:
    assert remaining_seconds(START + timedelta(hours=2), START) == 0.0
    assert remaining_seconds(START, START + timedelta(seconds=90)) == 90.0
