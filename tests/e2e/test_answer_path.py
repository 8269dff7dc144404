"""The answer path against a live stack, as ARCHITECTURE.md specifies it.

"The answer path" and "Socket.IO contract (namespace /exam)": a real gevent server on
PostgreSQL with the Redis message queue and a real Celery worker, driven by the real
python-socketio client over websocket and by ``requests``. Each test builds its own
school and sitting under a unique prefix.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest

from ardoise.clock import parse_iso
from tests.e2e.conftest import Stack
from tests.e2e.helpers import (
    POINTS,
    SWEEP_INTERVAL_SECONDS,
    Api,
    ExamClient,
    assert_refused,
    attempt_row,
    chain_hashes,
    cutoff_of,
    log_rows,
    login_cookie,
    response_for,
    save_payload,
    seed_school,
    sleep_until,
    slot_rows,
    start_attempt,
    start_attempt_for_browser,
    wait_graded,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

HEX64 = re.compile(r"[0-9a-f]{64}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
GRADING_TIMEOUT = 20.0


def answers_by_slot(view: dict) -> dict[int, dict]:
    return {a["slot"]: a for a in view["answers"]}


def log_of(rows: list) -> list[tuple[int, int, object]]:
    """(seq, slot, response) of stored log rows, in log order."""
    return [(r.seq, r.slot, json.loads(r.response_json)) for r in rows]


# 1 ----------------------------------------------------------------------------------------
def test_save_is_acknowledged_and_stored(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    response = response_for(started.item_types[0])

    with ExamClient(stack.server.url, token=student.token) as client:
        joined = client.join(attempt_id, device_id="tab-1")
        assert joined["ok"] is True and joined["state"] == "in_progress", joined
        assert joined["paused"] is False
        ack = client.save(attempt_id, 0, 1, response)

    assert ack["ok"] is True and ack["seq"] == 1, ack
    assert ISO_UTC.fullmatch(ack["saved_at"]), ack
    assert HEX64.fullmatch(ack["hash"]), ack
    # The first link of the chain, recomputed here.
    entry = {"seq": 1, "slot": 0, "response": response, "saved_at": ack["saved_at"]}
    assert ack["hash"] == chain_hashes(attempt_id, [entry])[-1]

    api = Api(stack.server.url, student.token)
    view = api.get(f"/api/v1/attempts/{attempt_id}")
    api.close()
    assert view.status_code == 200, view.text
    assert answers_by_slot(view.json())[0] == {"slot": 0, "seq": 1, "response": response}

    rows = log_rows(stack.database, attempt_id)
    assert log_of(rows) == [(1, 0, response)]
    assert rows[0].hash == ack["hash"]
    current = slot_rows(stack.database, attempt_id)[0]
    assert (current.seq, current.response) == (1, response)


# 2 ----------------------------------------------------------------------------------------
def test_duplicate_save_is_acknowledged_again_without_a_second_write(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    response = response_for(started.item_types[2])

    with ExamClient(stack.server.url, token=student.token) as client:
        assert client.join(attempt_id)["ok"] is True
        payload = save_payload(attempt_id, 2, 1, response)
        first = client.call("attempt:save", payload)
        again = client.call("attempt:save", dict(payload))

    assert first["ok"] is True and again["ok"] is True, (first, again)
    assert (again["seq"], again["hash"], again["saved_at"]) == \
        (first["seq"], first["hash"], first["saved_at"])
    assert log_of(log_rows(stack.database, attempt_id)) == [(1, 2, response)]
    assert attempt_row(stack.database, attempt_id).last_hash == first["hash"]


# 3 ----------------------------------------------------------------------------------------
def test_stale_seq_is_logged_but_does_not_replace_the_current_answer(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    newer = response_for(started.item_types[0], right=True)
    older = response_for(started.item_types[0], right=False)

    with ExamClient(stack.server.url, token=student.token) as client:
        assert client.join(attempt_id)["ok"] is True
        ack5 = client.save(attempt_id, 0, 5, newer)
        ack3 = client.save(attempt_id, 0, 3, older)

    assert ack5["ok"] is True and ack5["seq"] == 5, ack5
    assert ack3["ok"] is True and ack3["seq"] == 3, ack3

    api = Api(stack.server.url, student.token)
    view = api.get(f"/api/v1/attempts/{attempt_id}").json()
    api.close()
    assert answers_by_slot(view)[0] == {"slot": 0, "seq": 5, "response": newer}

    assert log_of(log_rows(stack.database, attempt_id)) == [(5, 0, newer), (3, 0, older)]
    current = slot_rows(stack.database, attempt_id)[0]
    assert (current.seq, current.response) == (5, newer)


# 4 ----------------------------------------------------------------------------------------
def test_same_seq_with_other_content_is_a_seq_conflict(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    first = response_for(started.item_types[1], right=True)
    other = response_for(started.item_types[1], right=False)

    with ExamClient(stack.server.url, token=student.token) as client:
        assert client.join(attempt_id)["ok"] is True
        assert client.save(attempt_id, 1, 1, first)["ok"] is True
        assert_refused(client.save(attempt_id, 1, 1, other), "seq_conflict")
        # Same seq on another slot is a conflict too.
        assert_refused(client.save(attempt_id, 2, 1, response_for(started.item_types[2])),
                       "seq_conflict")

    assert log_of(log_rows(stack.database, attempt_id)) == [(1, 1, first)]
    current = slot_rows(stack.database, attempt_id)[1]
    assert (current.seq, current.response) == (1, first)


# 5 ----------------------------------------------------------------------------------------
def test_save_after_the_deadline_and_grace_is_refused_late(stack: Stack) -> None:
    # The stack's sweeper closes an expired attempt within one pass (0.5 s) of the same
    # cutoff, after which a save is refused `submitted` instead. The save is sent just
    # past the cutoff; if the sweeper still won that race, the next student tries again.
    seeded = seed_school(stack.database, students=3, time_limit=2)
    for student in seeded.students:
        started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
        attempt_id = started.attempt_id
        early = response_for(started.item_types[0])
        with ExamClient(stack.server.url, token=student.token) as client:
            joined = client.join(attempt_id)
            assert joined["ok"] is True, joined
            assert client.save(attempt_id, 0, 1, early)["ok"] is True
            sleep_until(cutoff_of(joined), margin=0.02)
            ack = client.save(attempt_id, 1, 2, response_for(started.item_types[1]))
        attempt = attempt_row(stack.database, attempt_id)
        if ack.get("error") == "submitted" and attempt.submitted_reason == "deadline":
            continue
        assert_refused(ack, "late")
        assert log_of(log_rows(stack.database, attempt_id)) == [(1, 0, early)]
        assert attempt.last_seq == 1
        current = slot_rows(stack.database, attempt_id)
        assert (current[0].seq, current[0].response) == (1, early)
        assert (current[1].seq, current[1].response) == (0, None)
        return
    pytest.fail("the sweeper closed every attempt before its late save arrived")


# 6 ----------------------------------------------------------------------------------------
def test_reconnect_gets_every_slot_back_and_replay_is_a_duplicate(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    r0 = response_for(started.item_types[0])
    r3 = response_for(started.item_types[3], right=False)

    client = ExamClient(stack.server.url, token=student.token).connect()
    try:
        assert client.join(attempt_id, device_id="chromebook-6")["ok"] is True
        ack1 = client.save(attempt_id, 0, 1, r0)
        kept = save_payload(attempt_id, 3, 2, r3)  # still in the page's outbox
        ack2 = client.call("attempt:save", kept)
        assert ack1["ok"] is True and ack2["ok"] is True, (ack1, ack2)
        client.disconnect()
        wait_until(lambda: not client.sio.connected, what="the disconnect")

        client.connect()
        joined = client.join(attempt_id, device_id="chromebook-6")
        assert joined["ok"] is True and joined["state"] == "in_progress", joined
        slots = {s["slot"]: s for s in joined["slots"]}
        assert sorted(slots) == sorted(started.item_types)
        assert slots[0] == {"slot": 0, "seq": 1, "response": r0}
        assert slots[3] == {"slot": 3, "seq": 2, "response": r3}
        for slot in set(slots) - {0, 3}:
            assert slots[slot]["response"] is None, slots[slot]

        replay = client.call("attempt:save", kept)
        assert replay["ok"] is True, replay
        assert (replay["seq"], replay["hash"], replay["saved_at"]) == \
            (2, ack2["hash"], ack2["saved_at"])
        ack3 = client.save(attempt_id, 0, 3, response_for(started.item_types[0], right=False))
        assert ack3["ok"] is True, ack3
    finally:
        client.disconnect()

    assert [(seq, slot) for seq, slot, _ in log_of(log_rows(stack.database, attempt_id))] == \
        [(1, 0), (2, 3), (3, 0)]


# 7 ----------------------------------------------------------------------------------------
def test_receipt_is_recomputed_from_the_log_endpoint(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    text_slot = started.slot_of("short_text")
    choice_slot = started.slot_of("single_choice")
    number_slot = started.slot_of("numeric")
    saves = [
        (choice_slot, 1, {"choice": "a"}),
        (text_slot, 2, {"text": "Québec"}),
        (number_slot, 4, {"value": "3,14"}),
        (number_slot, 3, {"value": "2"}),  # stale: logged, not applied
        (choice_slot, 5, {"choice": "c"}),
        (text_slot, 6, {"text": "Fleuve Saint-Laurent, Québec — « ici »"}),
    ]

    with ExamClient(stack.server.url, token=student.token) as client:
        assert client.join(attempt_id)["ok"] is True
        acks = [client.save(attempt_id, slot, seq, response) for slot, seq, response in saves]
        assert all(a["ok"] is True for a in acks), acks
        submitted = client.submit(attempt_id)
    assert submitted["ok"] is True and HEX64.fullmatch(submitted["receipt"]), submitted

    api = Api(stack.server.url, student.token)
    answer = api.get(f"/api/v1/attempts/{attempt_id}/log")
    api.close()
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [(e["seq"], e["slot"], e["response"]) for e in entries] == \
        [(seq, slot, response) for slot, seq, response in saves]

    hashes = chain_hashes(attempt_id, entries)
    assert hashes[-1] == submitted["receipt"]
    assert [e["hash"] for e in entries] == hashes[1:]
    assert [a["hash"] for a in acks] == hashes[1:]
    # Non-ASCII text enters the chain unescaped: the escaped form gives another chain.
    escaped = hashes[0]
    for e in entries:
        line = json.dumps({"attempt_id": attempt_id, "seq": e["seq"], "slot": e["slot"],
                           "response": e["response"], "saved_at": e["saved_at"]},
                          sort_keys=True, separators=(",", ":"))
        escaped = hashlib.sha256((escaped + line).encode()).hexdigest()
    assert escaped != submitted["receipt"]


# 8 ----------------------------------------------------------------------------------------
def test_another_students_attempt_is_refused(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=2)
    owner, intruder = seeded.students
    started = start_attempt(stack.server.url, owner.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    mine = response_for(started.item_types[0])

    with ExamClient(stack.server.url, token=owner.token) as client:
        assert client.join(attempt_id)["ok"] is True
        assert client.save(attempt_id, 0, 1, mine)["ok"] is True

    with ExamClient(stack.server.url, token=intruder.token) as other:
        assert_refused(other.join(attempt_id), "forbidden")
        assert_refused(other.save(attempt_id, 0, 2, response_for(started.item_types[0], False)),
                       "forbidden")
        assert_refused(other.submit(attempt_id), "forbidden")

    assert log_of(log_rows(stack.database, attempt_id)) == [(1, 0, mine)]
    assert attempt_row(stack.database, attempt_id).state.value == "in_progress"

    elsewhere = seed_school(stack.database, students=0)
    for token in (intruder.token, elsewhere.teacher.token):
        api = Api(stack.server.url, token)
        for path in (f"/api/v1/attempts/{attempt_id}", f"/api/v1/attempts/{attempt_id}/log"):
            answer = api.get(path)
            assert answer.status_code == 403, (path, answer.status_code, answer.text)
            assert answer.json()["error"] == "forbidden"
            assert "entries" not in answer.json() and "answers" not in answer.json()
        api.close()

    teacher = Api(stack.server.url, seeded.teacher.token)
    answer = teacher.get(f"/api/v1/attempts/{attempt_id}/log")
    teacher.close()
    assert answer.status_code == 200, answer.text
    assert [(e["seq"], e["slot"], e["response"]) for e in answer.json()["entries"]] == \
        [(1, 0, mine)]


# 9 ----------------------------------------------------------------------------------------
def test_sweeper_submits_an_expired_attempt_and_the_worker_grades_it(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1, time_limit=2)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id

    with ExamClient(stack.server.url, token=student.token) as client:
        joined = client.join(attempt_id)
        assert joined["ok"] is True, joined
        ack = client.save(attempt_id, 0, 1, response_for(started.item_types[0]))
        assert ack["ok"] is True, ack
        wait = (cutoff_of(joined) - parse_iso(joined["server_now"])).total_seconds()
        closed = client.wait_for("attempt:closed", timeout=wait + 10)
    assert closed["reason"] == "deadline", closed

    attempt = attempt_row(stack.database, attempt_id)
    assert attempt.state.value == "submitted"
    assert attempt.submitted_reason == "deadline"
    assert attempt.receipt == ack["hash"]

    graded = wait_graded(stack.database, attempt_id, timeout=GRADING_TIMEOUT)
    assert graded.score == POINTS[started.item_types[0]]
    assert graded.max_score == sum(POINTS.values())


# 10 ---------------------------------------------------------------------------------------
def test_submit_then_refused_save_grading_and_release(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id

    with ExamClient(stack.server.url, token=student.token) as client:
        assert client.join(attempt_id)["ok"] is True
        acks = [client.save(attempt_id, slot, seq, response_for(kind))
                for seq, (slot, kind) in enumerate(sorted(started.item_types.items()), start=1)]
        assert all(a["ok"] is True for a in acks), acks
        submitted = client.submit(attempt_id)
        assert submitted["ok"] is True and submitted["receipt"] == acks[-1]["hash"], submitted
        late = client.save(attempt_id, 0, len(acks) + 1, response_for(started.item_types[0]))
    assert_refused(late, "submitted")
    assert len(log_rows(stack.database, attempt_id)) == len(acks)

    expected = sum(POINTS[kind] for kind in started.item_types.values())
    assert expected == 6.0  # multiple_response is worth 2 in the factory
    graded = wait_graded(stack.database, attempt_id, timeout=GRADING_TIMEOUT)
    assert graded.state.value == "submitted" and graded.submitted_reason == "student"
    assert (graded.score, graded.max_score) == (expected, expected)

    student_api = Api(stack.server.url, student.token)
    teacher_api = Api(stack.server.url, seeded.teacher.token)
    try:
        before = student_api.get(f"/api/v1/attempts/{attempt_id}")
        assert before.status_code == 200 and before.json()["result"] is None, before.text
        assert before.json()["state"] == "submitted"
        assert before.json()["receipt"] == submitted["receipt"]

        released = teacher_api.post(f"/api/v1/sittings/{seeded.sitting_id}/release")
        assert released.status_code == 200, released.text

        after = student_api.get(f"/api/v1/attempts/{attempt_id}").json()
        assert after["result"] is not None, after
        assert after["result"]["score"] == expected
    finally:
        student_api.close()
        teacher_api.close()


# 11 ---------------------------------------------------------------------------------------
def test_paused_attempt_refuses_saves_and_is_not_swept(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1, time_limit=3)
    student = seeded.students[0]
    started = start_attempt(stack.server.url, student.token, seeded.sitting_id)
    attempt_id = started.attempt_id
    response = response_for(started.item_types[0])
    proctor = Api(stack.server.url, seeded.proctor.token)

    try:
        with ExamClient(stack.server.url, token=student.token) as client:
            joined = client.join(attempt_id)
            assert joined["ok"] is True, joined
            first_deadline = parse_iso(joined["deadline"])

            paused = proctor.post(f"/api/v1/attempts/{attempt_id}/pause")
            assert paused.status_code == 200, paused.text
            client.wait_for("attempt:state", lambda d: d.get("state") == "paused")
            assert_refused(client.save(attempt_id, 0, 1, response), "paused")

            # Well past the original deadline, grace and a few sweeper passes.
            sleep_until(cutoff_of(joined), margin=4 * SWEEP_INTERVAL_SECONDS)
            attempt = attempt_row(stack.database, attempt_id)
            assert attempt.state.value == "in_progress", attempt.submitted_reason
            assert attempt.submitted_at is None
            assert log_rows(stack.database, attempt_id) == []

            mark = len(client.events)
            resumed = proctor.post(f"/api/v1/attempts/{attempt_id}/resume")
            assert resumed.status_code == 200, resumed.text
            sync = client.wait_for("timer:sync", lambda d: d.get("paused") is False, after=mark)
            assert parse_iso(sync["deadline"]) > first_deadline + timedelta(seconds=1), sync
            client.wait_for("attempt:state", lambda d: d.get("state") == "resumed", after=mark)
            assert client.save(attempt_id, 0, 1, response)["ok"] is True
    finally:
        proctor.close()


# 12 ---------------------------------------------------------------------------------------
def test_second_device_is_refused_and_the_same_device_comes_back(stack: Stack) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    # Started by the student page, as a browser does: the first join claims the device.
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    attempt_id = started.attempt_id
    # The browser's session cookie: a token would be its own device whatever device_id says.
    cookie = login_cookie(stack.server.url, student.username)

    with ExamClient(stack.server.url, cookie=cookie) as device_a:
        assert device_a.join(attempt_id, device_id="A")["ok"] is True
        assert device_a.save(attempt_id, 0, 1, response_for(started.item_types[0]))["ok"]

    with ExamClient(stack.server.url, cookie=cookie) as device_b:
        assert_refused(device_b.join(attempt_id, device_id="B"), "other_device")

    with ExamClient(stack.server.url, cookie=cookie) as device_a_again:
        joined = device_a_again.join(attempt_id, device_id="A")
        assert joined["ok"] is True, joined
        assert {s["slot"]: s["seq"] for s in joined["slots"]}[0] == 1
        ack = device_a_again.save(attempt_id, 1, 2, response_for(started.item_types[1]))
        assert ack["ok"] is True, ack


def test_a_refused_second_device_cannot_save_either(stack: Stack) -> None:
    """`other_device` at join must also hold for that connection's saves and submit."""
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    attempt_id = started.attempt_id
    cookie = login_cookie(stack.server.url, student.username)
    mine = response_for(started.item_types[0])

    with ExamClient(stack.server.url, cookie=cookie) as device_a, \
            ExamClient(stack.server.url, cookie=cookie) as device_b:
        assert device_a.join(attempt_id, device_id="A")["ok"] is True
        assert device_a.save(attempt_id, 0, 1, mine)["ok"] is True
        assert_refused(device_b.join(attempt_id, device_id="B"), "other_device")
        save = device_b.save(attempt_id, 0, 2, response_for(started.item_types[0], False))
        submit = device_b.submit(attempt_id)

    assert_refused(save, "other_device")
    assert_refused(submit, "other_device")
    assert log_of(log_rows(stack.database, attempt_id)) == [(1, 0, mine)]
    assert attempt_row(stack.database, attempt_id).state.value == "in_progress"
