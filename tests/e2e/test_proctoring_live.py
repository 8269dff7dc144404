"""A sitting's access rules and integrity events on the live stack (gevent server, PostgreSQL,
Redis), with real Socket.IO clients: one device per attempt (a second browser refused, the
first kept, its reconnect admitted, a proctor's unlock), the exam room's address ranges, Safe
Exam Browser proofs from the page, and integrity events that warn their own student only."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import select

from ardoise.clock import iso, utcnow
from proctoring import access, policies, seb
from proctoring.models import IntegrityEvent, IntegrityFlag
from tests.e2e.conftest import Stack
from tests.e2e.helpers import (
    Api,
    ExamClient,
    assert_refused,
    attempt_row,
    login_cookie,
    response_for,
    seed_school,
    start_attempt_for_browser,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

CONFIG_KEY = "2b4d343ffe1a99a022c4627e970cf7290994a9e17fb616673c9ba584f1e8c474"


def rules(stack: Stack, sitting_id: str, **kw: Any) -> None:
    with stack.database.session() as session:
        access.set_access(session, sitting_id, now=utcnow(), **kw)


def server_events(stack: Stack, attempt_id: str) -> list[str]:
    with stack.database.session() as session:
        return list(session.scalars(select(IntegrityEvent.type).where(
            IntegrityEvent.attempt_id == attempt_id).order_by(IntegrityEvent.id)))


def test_one_device_per_attempt_until_a_proctor_unlocks_it(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    rules(stack, seeded.sitting_id, one_device=True)
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    attempt_id = started.attempt_id
    first_browser = login_cookie(stack.server.url, student.username)
    second_browser = login_cookie(stack.server.url, student.username)
    slot, kind = next(iter(started.item_types.items()))

    with ExamClient(stack.server.url, cookie=first_browser) as first:
        assert first.join(attempt_id, device_id="laptop")["ok"] is True
        with ExamClient(stack.server.url, cookie=second_browser) as second:
            assert_refused(second.join(attempt_id, device_id="phone"), "other_device")
            assert_refused(second.save(attempt_id, slot, 1, response_for(kind)), "other_device")
            # The first keeps working while the second is refused.
            assert first.save(attempt_id, slot, 1, response_for(kind))["ok"] is True
    assert server_events(stack, attempt_id) == ["new_device"]

    # The same browser reconnecting (its device id kept by the page) is not a second device.
    with ExamClient(stack.server.url, cookie=first_browser) as again:
        assert again.join(attempt_id, device_id="laptop")["ok"] is True
        assert again.save(attempt_id, slot, 2, response_for(kind))["ok"] is True

    # The proctor unlocks the attempt: the other device may take it, and holds it.
    proctor = Api(stack.server.url, seeded.proctor.token)
    denied = Api(stack.server.url, student.token).post(f"/api/v1/attempts/{attempt_id}/unlock")
    assert denied.status_code == 403
    assert proctor.post(f"/api/v1/attempts/{attempt_id}/unlock").status_code == 200
    with ExamClient(stack.server.url, cookie=second_browser) as second:
        assert second.join(attempt_id, device_id="phone")["ok"] is True
        with ExamClient(stack.server.url, cookie=first_browser) as first:
            assert_refused(first.join(attempt_id, device_id="laptop"), "other_device")


def test_outside_the_exam_rooms_range_nothing_starts_or_joins(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    rules(stack, seeded.sitting_id, ip_ranges=["10.77.0.0/16"])  # the server sees 127.0.0.1
    with ExamClient(stack.server.url, token=student.token) as client:
        refused = client.join(started.attempt_id)
    assert_refused(refused, "outside_range")
    other = seed_school(stack.database, students=1)
    rules(stack, other.sitting_id, ip_ranges=["10.77.0.0/16"])
    start = Api(stack.server.url, other.students[0].token).post(
        f"/api/v1/sittings/{other.sitting_id}/attempts")
    assert start.status_code == 403 and start.json()["error"] == "outside_range"
    rules(stack, other.sitting_id, ip_ranges=["127.0.0.0/8", "::1/128"])
    assert Api(stack.server.url, other.students[0].token).post(
        f"/api/v1/sittings/{other.sitting_id}/attempts").status_code == 201


def test_safe_exam_browser_proofs_from_the_page(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    rules(stack, seeded.sitting_id, seb_required=True, config_keys=[CONFIG_KEY])
    page = f"{stack.server.url}/exam/{started.attempt_id}"
    good = {"url": page, "config_key_hash": seb.expected_hash(page, CONFIG_KEY)}
    cookie = login_cookie(stack.server.url, student.username)
    with ExamClient(stack.server.url, cookie=cookie) as client:
        assert_refused(client.join(started.attempt_id, device_id="d"), "seb_required")
        wrong = client.call("attempt:join", {"attempt_id": started.attempt_id, "device_id": "d",
                                             "seb": {**good, "config_key_hash": "0" * 64}})
        assert_refused(wrong, "seb_mismatch")
        foreign_url = "https://elsewhere.test/student/attempts/x"
        foreign = client.call("attempt:join", {
            "attempt_id": started.attempt_id, "device_id": "d",
            "seb": {"url": foreign_url,
                    "config_key_hash": seb.expected_hash(foreign_url, CONFIG_KEY)}})
        assert_refused(foreign, "seb_mismatch")
        ok = client.call("attempt:join", {"attempt_id": started.attempt_id, "device_id": "d",
                                          "seb": good})
        assert ok["ok"] is True, ok
    # Before any device held the attempt, a mismatch refuses the join and locks nothing.
    assert server_events(stack, started.attempt_id) == ["key_mismatch", "key_mismatch"]
    assert attempt_row(stack.database, started.attempt_id).locked_at is None
    # Over HTTP, the headers carry the proof of each request's own URL.
    proven = requests.get(page, timeout=10, allow_redirects=False, headers={
        "Cookie": cookie, seb.CONFIG_KEY_HEADER: seb.expected_hash(page, CONFIG_KEY)})
    assert proven.status_code == 200

    # Mid-exam: the page holds the attempt, then a request shows a key that no longer
    # matches: refused, and the attempt is locked; the page is told and keeps its answers.
    slot, kind = next(iter(started.item_types.items()))
    proctor = Api(stack.server.url, seeded.proctor.token)
    with ExamClient(stack.server.url, cookie=cookie) as holder:
        assert holder.call("attempt:join", {"attempt_id": started.attempt_id, "device_id": "d",
                                            "seb": good})["ok"] is True
        assert holder.save(started.attempt_id, slot, 1, response_for(kind))["ok"] is True
        unproven = requests.get(page, timeout=10, allow_redirects=False, headers={
            "Cookie": cookie, seb.CONFIG_KEY_HEADER: seb.expected_hash(page, "f" * 64)})
        assert unproven.status_code == 403
        holder.wait_for("attempt:state", lambda d: d.get("state") == "locked")
        assert_refused(holder.save(started.attempt_id, slot, 2, response_for(kind)), "locked")
        assert_refused(holder.submit(started.attempt_id), "locked")
        progress = proctor.get(f"/api/v1/sittings/{seeded.sitting_id}/progress").json()
        assert [c["state"] for c in progress["candidates"]] == ["locked"]
        assert proctor.post(f"/api/v1/attempts/{started.attempt_id}/unlock").status_code == 200
        holder.wait_for("attempt:state", lambda d: d.get("state") == "unlocked")
        assert proctor.post(f"/api/v1/attempts/{started.attempt_id}/resume").status_code == 200
        holder.wait_for("attempt:state", lambda d: d.get("state") == "resumed")
        # The join that locked nothing: the same page joins again and saves.
        assert holder.call("attempt:join", {"attempt_id": started.attempt_id, "device_id": "d",
                                            "seb": good})["ok"] is True
        assert holder.save(started.attempt_id, slot, 2, response_for(kind))["ok"] is True
    assert server_events(stack, started.attempt_id).count("key_mismatch") == 3
    proctor.close()


class ProctorConsole:
    """A proctor's console connection: a real ``socketio.Client`` on ``/proctor``."""

    def __init__(self, url: str, token: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.events: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.sio.on("proctor:event", self._record, namespace="/proctor")
        self.sio.connect(url, transports=["websocket"], namespaces=["/proctor"],
                         auth={"token": token}, wait_timeout=10)

    def _record(self, data: dict[str, Any]) -> None:
        with self.changed:
            self.events.append(data)
            self.changed.notify_all()

    def join(self, sitting_id: str) -> dict[str, Any]:
        ack = self.sio.call("sitting:join", {"sitting_id": sitting_id}, namespace="/proctor",
                            timeout=10)
        assert isinstance(ack, dict)
        return ack

    def wait_flag(self, rule: str) -> dict[str, Any]:
        with self.changed:
            found = self.changed.wait_for(lambda: any(
                rule in e["flags"] for e in self.events), timeout=10)
            assert found, self.events
            return next(e for e in self.events if rule in e["flags"])

    def close(self) -> None:
        self.sio.disconnect()


def test_integrity_events_warn_their_own_student_and_reach_the_sittings_proctors(
        stack: Stack) -> None:
    seeded = seed_school(stack.database, students=2)
    elsewhere = seed_school(stack.database, students=1)
    mine, theirs = seeded.students
    console = ProctorConsole(stack.server.url, seeded.proctor.token)
    stranger = ProctorConsole(stack.server.url, elsewhere.proctor.token)
    assert console.join(seeded.sitting_id)["ok"] is True
    assert_refused(stranger.join(seeded.sitting_id), "forbidden")
    assert stranger.join(elsewhere.sitting_id)["ok"] is True
    with stack.database.session() as session:
        policies.set_policy(session, seeded.sitting_id, counted=["tab_hidden", "paste"],
                            thresholds={"focus_losses": 2}, now=utcnow())
    my_attempt = start_attempt_for_browser(stack.database, mine.id, seeded.sitting_id)
    their_attempt = start_attempt_for_browser(stack.database, theirs.id, seeded.sitting_id)
    with ExamClient(stack.server.url, cookie=login_cookie(stack.server.url, mine.username)) \
            as me, ExamClient(stack.server.url,
                              cookie=login_cookie(stack.server.url, theirs.username)) as other:
        assert me.join(my_attempt.attempt_id, device_id="a")["ok"] is True
        assert other.join(their_attempt.attempt_id, device_id="b")["ok"] is True

        def event(kind: str, **extra: Any) -> dict[str, Any]:
            return me.call("integrity:event", {"attempt_id": my_attempt.attempt_id,
                                               "type": kind,
                                               "client_ts": int(utcnow().timestamp() * 1000),
                                               **extra})

        assert event("tab_hidden")["ok"] is True
        assert event("tab_visible")["ok"] is True
        assert event("paste", detail={"length": 20, "text": "secret"})["ok"] is True
        assert event("tab_hidden")["ok"] is True  # the second absence: the threshold
        warning = me.wait_for("integrity:warning")
        assert "plusieurs fois" in warning["text"] and "réponses sont enregistrées" in warning[
            "text"]
        assert_refused(me.call("integrity:event", {"attempt_id": my_attempt.attempt_id,
                                                   "type": "telepathy"}),
                       "integrity_event_invalid")
        # Someone else's attempt is not the caller's to report on.
        assert_refused(me.call("integrity:event", {"attempt_id": their_attempt.attempt_id,
                                                   "type": "tab_hidden"}), "forbidden")
        # The other student hears nothing of it.
        assert other.call("integrity:event", {"attempt_id": their_attempt.attempt_id,
                                              "type": "tab_visible"})["ok"] is True
        assert [name for name, _ in other.events
                if name in ("integrity:warning", "proctor:event")] == []
        assert [name for name, _ in me.events if name == "proctor:event"] == []
    pushed = console.wait_flag("focus_losses")
    assert (pushed["attempt_id"], pushed["student_id"], pushed["type"]) == (
        my_attempt.attempt_id, mine.id, "tab_hidden")
    assert [e["type"] for e in console.events][:4] == [
        "tab_hidden", "tab_visible", "paste", "tab_hidden"]
    assert stranger.events == []  # another school's proctor hears nothing of this sitting
    rejoined = console.join(seeded.sitting_id)  # the snapshot a console starts from
    flagged = {a["attempt_id"]: a for a in rejoined["attempts"]}[my_attempt.attempt_id]
    assert [f["rule"] for f in flagged["flags"]] == ["focus_losses"]
    assert flagged["counts"]["tab_hidden"] == 2
    console.close()
    stranger.close()
    with stack.database.session() as session:
        kinds = list(session.scalars(select(IntegrityEvent.type).where(
            IntegrityEvent.attempt_id == my_attempt.attempt_id).order_by(IntegrityEvent.id)))
        assert kinds[:4] == ["tab_hidden", "tab_visible", "paste", "tab_hidden"]
        pasted = session.scalar(select(IntegrityEvent).where(
            IntegrityEvent.attempt_id == my_attempt.attempt_id, IntegrityEvent.type == "paste"))
        assert pasted is not None and pasted.detail == {"length": 20}
        flags = list(session.scalars(select(IntegrityFlag.rule).where(
            IntegrityFlag.attempt_id == my_attempt.attempt_id)))
        assert flags == ["focus_losses"]


def test_a_pause_keeps_the_time_left_and_an_extension_reaches_the_page(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    attempt_id = started.attempt_id
    proctor = Api(stack.server.url, seeded.proctor.token)
    cookie = login_cookie(stack.server.url, student.username)
    with ExamClient(stack.server.url, cookie=cookie) as page:
        assert page.join(attempt_id, device_id="tab")["ok"] is True
        assert proctor.post(f"/api/v1/attempts/{attempt_id}/pause").status_code == 200
        paused_sync = page.wait_for("timer:sync", lambda d: d.get("paused") is True)
        paused = attempt_row(stack.database, attempt_id)
        assert paused.paused_at is not None
        left_at_pause = paused.deadline - paused.paused_at
        assert paused_sync["remaining_ms"] == round(left_at_pause.total_seconds() * 1000)

        mark = len(page.events)
        assert proctor.post(f"/api/v1/attempts/{attempt_id}/resume").status_code == 200
        resumed_sync = page.wait_for("timer:sync", lambda d: d.get("paused") is False,
                                     after=mark)
        resumed = attempt_row(stack.database, attempt_id)
        # The clock stopped for exactly as long as the pause: the time left is the same.
        assert resumed.deadline == paused.deadline + timedelta(seconds=resumed.paused_seconds)
        assert resumed_sync["deadline"] == iso(resumed.deadline)

        mark = len(page.events)
        extended = proctor.post(f"/api/v1/attempts/{attempt_id}/extend", {"minutes": 7})
        assert extended.status_code == 200, extended.text
        extended_sync = page.wait_for("timer:sync", after=mark)
        assert extended_sync["deadline"] == iso(resumed.deadline + timedelta(minutes=7))
    proctor.close()


def test_a_proctor_extends_everyone_messages_one_and_ends_one(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=2)  # a sitting with a 60-minute limit
    first, second = seeded.students
    one = start_attempt_for_browser(stack.database, first.id, seeded.sitting_id)
    two = start_attempt_for_browser(stack.database, second.id, seeded.sitting_id)
    proctor = Api(stack.server.url, seeded.proctor.token)
    stranger = Api(stack.server.url, seed_school(stack.database, students=1).proctor.token)
    slot, kind = next(iter(one.item_types.items()))
    with ExamClient(stack.server.url, cookie=login_cookie(stack.server.url, first.username)) \
            as page_one, ExamClient(stack.server.url,
                                    cookie=login_cookie(stack.server.url, second.username)) \
            as page_two:
        assert page_one.join(one.attempt_id, device_id="1")["ok"] is True
        assert page_two.join(two.attempt_id, device_id="2")["ok"] is True
        before = {a: attempt_row(stack.database, a).deadline
                  for a in (one.attempt_id, two.attempt_id)}

        assert stranger.post(f"/api/v1/sittings/{seeded.sitting_id}/extend",
                             {"percent": 10}).status_code == 403
        assert proctor.post(f"/api/v1/sittings/{seeded.sitting_id}/extend",
                            {"percent": 0}).status_code == 422
        everyone = proctor.post(f"/api/v1/sittings/{seeded.sitting_id}/extend",
                                {"percent": 10})
        assert everyone.status_code == 200 and everyone.json() == {
            "ok": True, "seconds": 360, "attempts": 2}
        for page, attempt_id in ((page_one, one.attempt_id), (page_two, two.attempt_id)):
            sync = page.wait_for("timer:sync")
            assert sync["deadline"] == iso(before[attempt_id] + timedelta(minutes=6))

        told = proctor.post(f"/api/v1/attempts/{one.attempt_id}/announce",
                            {"text": "Levez la main si vous avez besoin d’aide."})
        assert told.status_code == 200
        assert page_one.wait_for("announcement")["text"].startswith("Levez la main")
        assert page_one.save(one.attempt_id, slot, 1, response_for(kind))["ok"] is True

        assert stranger.post(f"/api/v1/attempts/{one.attempt_id}/end").status_code == 403
        ended = proctor.post(f"/api/v1/attempts/{one.attempt_id}/end")
        assert ended.status_code == 200
        assert page_one.wait_for("attempt:closed")["reason"] == "proctor"
        assert_refused(page_one.save(one.attempt_id, slot, 2, response_for(kind)), "submitted")
        other_slot, other_kind = next(iter(two.item_types.items()))
        assert page_two.save(two.attempt_id, other_slot, 1, response_for(other_kind))["ok"]
        assert [name for name, _ in page_two.events
                if name in ("announcement", "attempt:closed")] == []
    row = attempt_row(stack.database, one.attempt_id)
    assert (row.state.value, row.submitted_reason) == ("submitted", "proctor")
    assert ended.json()["receipt"] == row.receipt and row.last_seq == 1  # the save is kept
    proctor.close()
    stranger.close()


def test_the_proctor_sees_a_student_whose_page_is_gone_as_disconnected(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    proctor = Api(stack.server.url, seeded.proctor.token)
    cookie = login_cookie(stack.server.url, student.username)

    def state() -> str:
        progress = proctor.get(f"/api/v1/sittings/{seeded.sitting_id}/progress").json()
        return str(progress["candidates"][0]["state"])

    with ExamClient(stack.server.url, cookie=cookie) as page:
        assert page.join(started.attempt_id, device_id="tab")["ok"] is True
        assert state() == "in_progress"
    wait_until(lambda: state() == "disconnected", timeout=10)
    with ExamClient(stack.server.url, cookie=cookie) as page:  # the page comes back
        assert page.join(started.attempt_id, device_id="tab")["ok"] is True
        assert state() == "in_progress"
    proctor.close()
