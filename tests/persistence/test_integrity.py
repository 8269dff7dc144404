"""Integrity events on both databases: kept only as the policy needs, rate-limited per
attempt, thresholds raising flags (once), a flag that pauses, clock anomalies, and the
retention purge that leaves only the review outcome. Times are given, never waited for."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Invalid
from exam_engine import attempts
from exam_engine.models import Attempt, Sitting
from proctoring import events, policies, retention
from proctoring.models import IntegrityEvent, IntegrityFlag, IntegrityReview, IntegrityTally
from tests.factories import make_school, open_sitting


@pytest.fixture
def world(database: Database) -> dict[str, Any]:
    with database.session() as session:
        school = make_school(session, students=2)
        sitting = open_sitting(session, school, time_limit=3600)
        now = utcnow()
        first = attempts.start_or_resume(session, sitting.id, school.students[0].id, now)
        second = attempts.start_or_resume(session, sitting.id, school.students[1].id, now)
        return {"sitting": sitting.id, "attempt": first.id, "other": second.id,
                "teacher": school.teacher.id, "now": now}


def record(session, attempt_id: str, kind: str, at: datetime, **kw: Any) -> events.Recorded:  # type: ignore[no-untyped-def]
    attempt = session.get(Attempt, attempt_id)
    return events.record_event(session, attempt, kind, now=at, **kw)


def policy(session, world: dict[str, Any], **kw: Any) -> None:  # type: ignore[no-untyped-def]
    policies.set_policy(session, world["sitting"], now=world["now"], **kw)


@pytest.mark.parametrize("kw, field", [
    ({"counted": ["tab_hidden", "telepathy"]}, "counted"),
    ({"thresholds": {"focus_losses": 0}}, "thresholds"),
    ({"thresholds": {"focus_losses": 2.5}}, "thresholds"),
    ({"thresholds": {"psychic": 1}}, "thresholds"),
    ({"counted": ["copy"], "thresholds": {"focus_losses": 3}}, "thresholds"),  # never counted
    ({"retention_days": 0}, "retention_days"),
])
def test_a_wrong_policy_is_refused_by_field(database: Database, world: dict[str, Any],
                                            kw: dict[str, Any], field: str) -> None:
    with database.session() as session, pytest.raises(Invalid) as refused:
        policy(session, world, **kw)
    assert refused.value.params["field"] == field


def test_only_counted_events_are_kept_and_only_their_allowed_detail(
        database: Database, world: dict[str, Any]) -> None:
    now = world["now"]
    with database.session() as session:
        dropped = record(session, world["attempt"], "tab_hidden", now)  # no policy yet
        assert (dropped.stored, dropped.reason) == (False, "not_counted")
        policy(session, world, counted=["paste", "tab_hidden"], thresholds={})
        assert not record(session, world["attempt"], "copy", now).stored  # not counted
        pasted = record(session, world["attempt"], "paste", now, client_at=now,
                        detail={"length": 412, "text": "the answer key", "html": "<b>"})
        assert pasted.stored and pasted.event is not None
        assert pasted.event.detail == {"length": 412}
        # Counting tab_hidden keeps tab_visible too: an absence needs its end.
        assert record(session, world["attempt"], "tab_visible", now).stored
        with pytest.raises(Invalid):
            record(session, world["attempt"], "telepathy", now)
        # The server's own findings are kept whatever the policy counts.
        assert record(session, world["attempt"], "ip_change", now, source="server",
                      detail={"from": "10.0.0.5", "to": "192.0.2.7"}).stored
        kinds = [e.type for e in events.events_of(session, world["attempt"])]
        assert kinds == ["paste", "tab_visible", "ip_change"]


def test_absences_are_measured_and_thresholds_flag_once(database: Database,
                                                         world: dict[str, Any]) -> None:
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, thresholds={"focus_losses": 3, "away_seconds": 30})
        # One absence seen twice (the window loses focus, then the tab is hidden): one loss.
        record(session, world["attempt"], "window_blur", t0)
        record(session, world["attempt"], "tab_hidden", t0 + timedelta(seconds=1))
        back = record(session, world["attempt"], "tab_visible", t0 + timedelta(seconds=12))
        assert back.event is not None and back.event.duration_ms == 12_000 and not back.flags
        record(session, world["attempt"], "window_focus", t0 + timedelta(seconds=13))
        # A second absence, 40 s: away_seconds reached.
        record(session, world["attempt"], "tab_hidden", t0 + timedelta(seconds=60))
        long_away = record(session, world["attempt"], "tab_visible", t0 + timedelta(seconds=100))
        assert [f.rule for f in long_away.flags] == ["away_seconds"] and long_away.warn
        assert long_away.flags[0].detail == {"value": 40.0, "threshold": 30.0}
        # A third absence: three focus losses, reached as the student leaves.
        third = record(session, world["attempt"], "tab_hidden", t0 + timedelta(seconds=200))
        assert [f.rule for f in third.flags] == ["focus_losses"]
        assert third.flags[0].detail == {"value": 3.0, "threshold": 3.0}
        assert record(session, world["attempt"], "tab_visible",
                      t0 + timedelta(seconds=201)).flags == []
        tally = session.get(IntegrityTally, world["attempt"])
        assert tally is not None and tally.counts["away"] == 3
        assert (tally.away_ms, tally.longest_away_ms) == (12_000 + 40_000 + 1_000, 40_000)
        rules = [f.rule for f in events.flags_of(session, world["attempt"])]
        assert sorted(rules) == ["away_seconds", "focus_losses"]
        # More absences raise no second flag for the same rule.
        record(session, world["attempt"], "tab_hidden", t0 + timedelta(seconds=300))
        record(session, world["attempt"], "tab_visible", t0 + timedelta(seconds=400))
        assert len(events.flags_of(session, world["attempt"])) == 2
        assert session.get(IntegrityTally, world["attempt"]).flags == 2  # type: ignore[union-attr]
        # The other student's attempt has its own tally and no flag.
        assert events.flags_of(session, world["other"]) == []
        attempt = session.get(Attempt, world["attempt"])
        assert attempt is not None and attempt.paused_at is None  # the policy does not pause


def test_a_flag_may_pause_the_attempt_for_a_proctor_never_fail_it(
        database: Database, world: dict[str, Any]) -> None:
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["copy", "paste", "cut"], thresholds={"copy_paste": 2},
               pause_on_flag=True, warn_student=False)
        assert not record(session, world["attempt"], "copy", t0).paused
        second = record(session, world["attempt"], "paste", t0 + timedelta(seconds=5))
        assert second.paused and not second.warn and second.flags[0].paused
        attempt = session.get(Attempt, world["attempt"])
        assert attempt is not None and attempt.paused_at == t0 + timedelta(seconds=5)
        assert attempt.state.value == "in_progress" and attempt.score is None


def test_a_flood_is_cut_by_the_rate_limit_and_counted(database: Database,
                                                      world: dict[str, Any]) -> None:
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["context_menu"], thresholds={})
        results = [record(session, world["attempt"], "context_menu",
                          t0 + timedelta(milliseconds=10 * n)) for n in range(75)]
        assert sum(r.stored for r in results) == events.RATE_LIMIT
        assert {r.reason for r in results if not r.stored} == {"rate_limited"}
        # The server's findings are never cut.
        assert record(session, world["attempt"], "new_device", t0 + timedelta(seconds=1),
                      source="server").stored
        # Another attempt is not affected by this one's flood.
        assert record(session, world["other"], "context_menu", t0).stored
        # A new window takes events again.
        assert record(session, world["attempt"], "context_menu",
                      t0 + events.RATE_WINDOW + timedelta(seconds=1)).stored
        stored = session.scalar(select(func.count()).select_from(IntegrityEvent).where(
            IntegrityEvent.attempt_id == world["attempt"]))
        assert stored == events.RATE_LIMIT + 2
        tally = session.get(IntegrityTally, world["attempt"])
        assert tally is not None and tally.suppressed == 75 - events.RATE_LIMIT


def test_a_client_clock_far_off_or_jumping_is_an_anomaly(database: Database,
                                                         world: dict[str, Any]) -> None:
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["reload"], thresholds={"time_anomalies": 2})
        record(session, world["attempt"], "reload", t0, client_at=t0 + timedelta(seconds=3))
        record(session, world["attempt"], "reload", t0 + timedelta(seconds=10),
               client_at=t0 + timedelta(seconds=14))
        assert [e.type for e in events.events_of(session, world["attempt"])] == [
            "reload", "reload"]
        jumped = record(session, world["attempt"], "reload", t0 + timedelta(seconds=20),
                        client_at=t0 - timedelta(minutes=10))
        assert jumped.flags == []
        assert [e.type for e in events.events_of(session, world["attempt"])][-1] == "clock_skew"
        back = record(session, world["attempt"], "reload", t0 + timedelta(seconds=30),
                      client_at=t0 + timedelta(seconds=31))
        assert [f.rule for f in back.flags] == ["time_anomalies"]


def test_retention_purges_the_detail_and_keeps_the_review(database: Database,
                                                          world: dict[str, Any]) -> None:
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["tab_hidden"], thresholds={"focus_losses": 1},
               retention_days=30)
        record(session, world["attempt"], "tab_hidden", t0)
        record(session, world["other"], "tab_hidden", t0)
        session.add(IntegrityReview(attempt_id=world["attempt"], sitting_id=world["sitting"],
                                    status="no_issue", note="Reviewed with the student.",
                                    second_note=""))
        session.flush()
        sitting = session.get(Sitting, world["sitting"])  # its close starts the period
        assert sitting is not None
        not_yet = sitting.closes_at + timedelta(days=29)
        assert retention.purge_expired(session, not_yet) == {}
        assert session.scalar(select(func.count()).select_from(IntegrityEvent)) == 2
        later = sitting.closes_at + timedelta(days=30, minutes=1)
        assert retention.purge_expired(session, later) == {world["sitting"]: 2}
        for table in (IntegrityEvent, IntegrityFlag, IntegrityTally):
            assert session.scalar(select(func.count()).select_from(table)) == 0
        reviews = {r.attempt_id: r for r in session.scalars(select(IntegrityReview))}
        assert reviews[world["attempt"]].status == "no_issue"
        assert reviews[world["attempt"]].note == "Reviewed with the student."
        assert reviews[world["other"]].status == "not_reviewed"
        assert all(r.purged_at == later for r in reviews.values())
        assert retention.purge_expired(session, later + timedelta(days=1)) == {}


def test_a_review_a_second_review_and_the_report(database: Database,
                                                  world: dict[str, Any]) -> None:
    from ardoise.errors import Conflict
    from proctoring import reviews
    from student_records import service as records
    from student_records.models import Person

    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["tab_hidden"], thresholds={"away_seconds": 10})
        attempt = session.get(Attempt, world["attempt"])
        assert attempt is not None
        events.seen_from(session, attempt, "10.0.0.5", t0)
        record(session, world["attempt"], "tab_hidden", t0 + timedelta(seconds=1))
        record(session, world["attempt"], "tab_visible", t0 + timedelta(seconds=31))
        events.seen_from(session, attempt, "192.0.2.7", t0 + timedelta(seconds=40))
        record(session, world["attempt"], "new_device", t0 + timedelta(seconds=50),
               source="server", detail={"device": "phone-1"})
        teacher = session.get(Person, world["teacher"])
        assert teacher is not None
        records.audit(session, teacher, "pause", "attempt", world["attempt"], None)
        records.audit(session, teacher, "note", "attempt", world["attempt"], None,
                      text="Student said the phone was a calculator.")
        found = reviews.report(session, attempt)
        assert [e.type for e in found.events] == ["tab_hidden", "tab_visible", "ip_change",
                                                  "new_device"]
        assert found.flags == ["away_seconds"] and found.longest_away_ms == 30_000
        assert found.addresses == ["10.0.0.5", "192.0.2.7"] and found.devices == ["phone-1"]
        assert [a["action"] for a in found.actions] == ["pause", "note"]
        assert found.actions[1]["detail"]["text"].startswith("Student said")
        assert found.review.status == "not_reviewed" and not found.purged

        with pytest.raises(Invalid):
            reviews.record_review(session, attempt, teacher, "violation", "", t0)
        with pytest.raises(Conflict) as early:
            reviews.record_review(session, attempt, teacher, "no_issue", "", t0, second=True)
        assert early.value.code == "review_first_missing"
        first = reviews.record_review(session, attempt, teacher, "suspicious",
                                      "Away 30 s right after question 3.", t0)
        assert (first.status, first.reviewed_by) == ("suspicious", teacher.id)
        with pytest.raises(Conflict) as same:
            reviews.record_review(session, attempt, teacher, "no_issue", "", t0, second=True)
        assert same.value.code == "review_same_person"
        proctor = session.scalar(select(Person).where(Person.username.like("%proctor%")))
        assert proctor is not None
        second = reviews.record_review(session, attempt, proctor, "no_issue",
                                       "Checked with the room proctor.", t0, second=True)
        assert (second.second_status, second.status) == ("no_issue", "suspicious")

        sitting = session.get(Sitting, world["sitting"])
        assert sitting is not None
        lines = reviews.sitting_csv(session, sitting).splitlines()
        assert lines[0].startswith("username,name,attempt_id,state,flags")
        mine = next(line for line in lines if world["attempt"] in line)
        assert ",away_seconds," in mine and ",suspicious,Away 30 s" in mine
        assert ",no_issue,Checked with the room proctor.,no" in mine
        assert len(lines) == 3  # both students' attempts


def test_a_batch_of_events_counts_as_one_after_the_other(database: Database,
                                                         world: dict[str, Any]) -> None:
    """``record_client_events`` (the web node's group commit): two attempts' events in one
    batch, tallies made on the first event, a threshold reached inside the batch flagging
    once, an unknown type refused alone, an uncounted one dropped."""
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["tab_hidden", "tab_visible", "copy"],
               thresholds={"focus_losses": 2})
    mine, theirs = world["attempt"], world["other"]
    plan = [(mine, "tab_hidden", 0), (theirs, "copy", 1), (mine, "tab_visible", 5),
            (mine, "telepathy", 6), (mine, "paste", 7), (mine, "tab_hidden", 8),
            (mine, "tab_visible", 9), (mine, "tab_hidden", 10)]
    with database.session() as session:
        found = {a.id: a for a in session.scalars(select(Attempt))}
        outcomes = events.record_client_events(session, [
            events.ClientEvent(found[a], kind, t0 + timedelta(seconds=s)) for a, kind, s in plan])
    assert isinstance(outcomes[3], Invalid)
    stored = [o.stored if isinstance(o, events.Recorded) else None for o in outcomes]
    assert stored == [True, True, True, None, False, True, True, True]
    flagged = [[f.rule for f in o.flags] if isinstance(o, events.Recorded) else None
               for o in outcomes]
    assert flagged == [[], [], [], None, [], ["focus_losses"], [], []]
    assert outcomes[2].event.duration_ms == 5000  # type: ignore[union-attr]
    with database.session() as session:
        tally = session.get(IntegrityTally, mine)
        assert tally is not None and tally.counts["tab_hidden"] == 3 and tally.flags == 1
        assert session.get(IntegrityTally, theirs).counts == {"copy": 1}  # type: ignore[union-attr]
        assert [f.rule for f in events.flags_of(session, mine)] == ["focus_losses"]
        assert session.scalar(select(func.count()).select_from(IntegrityEvent)) == 6


def test_a_flag_rolled_back_is_raised_again(database: Database, world: dict[str, Any]) -> None:
    """A batch that raised a flag and then failed leaves no trace: the next event to reach
    the rule raises it (what is known raised comes only from committed rows)."""
    t0 = world["now"]
    with database.session() as session:
        policy(session, world, counted=["copy"], thresholds={"copy_paste": 1})
    with pytest.raises(RuntimeError), database.session() as session:
        attempt = session.get(Attempt, world["attempt"])
        assert attempt is not None
        first, again = events.record_client_events(session, [
            events.ClientEvent(attempt, "copy", t0), events.ClientEvent(attempt, "copy", t0)])
        assert [f.rule for f in first.flags] == ["copy_paste"]  # type: ignore[union-attr]
        assert again.flags == []  # type: ignore[union-attr]
        raise RuntimeError("the connection was lost before the commit")
    with database.session() as session:
        assert events.flags_of(session, world["attempt"]) == []
        retried = record(session, world["attempt"], "copy", t0 + timedelta(seconds=1))
        assert [f.rule for f in retried.flags] == ["copy_paste"]
