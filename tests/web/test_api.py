"""The REST API: starting, reading, saving over REST, releasing, scopes and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from ardoise.db import Database
from exam_engine import attempts
from exam_engine.chain import verify
from exam_engine.models import Sitting
from student_records import service as records
from student_records.models import Person
from tests.factories import ITEMS, RIGHT, School

KINDS = [k for k, _ in ITEMS]


def bearer(app_db: Database, person: Person) -> dict[str, str]:
    with app_db.session() as session:
        _token, clear = records.create_token(session, person)
    return {"Authorization": f"Bearer {clear}"}


def test_student_sees_open_sittings_and_starts(client: FlaskClient, app_db: Database,
                                               world: School, sitting: Sitting) -> None:
    headers = bearer(app_db, world.students[0])
    listed = client.get("/api/v1/sittings", headers=headers).json["sittings"]
    assert [s["id"] for s in listed] == [sitting.id]
    assert listed[0]["attempt_state"] == "not_started"
    started = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=headers, json={})
    assert started.status_code == 201
    body = started.json
    assert body["attempt_id"] == body["id"] and body["state"] == "in_progress"
    assert body["deadline"].endswith("Z") and len(body["slots"]) == len(ITEMS)
    assert sorted(s["item_type"] for s in body["slots"]) == sorted(KINDS)
    text = started.get_data(as_text=True)
    assert '"correct"' not in text and "Saint-Laurent" not in text and "3.1416" not in text
    again = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=headers, json={})
    assert again.status_code == 200 and again.json["attempt_id"] == body["attempt_id"]


def test_rest_saves_submit_release(client: FlaskClient, app_db: Database, world: School,
                                   sitting: Sitting) -> None:
    student = bearer(app_db, world.students[0])
    teacher = bearer(app_db, world.teacher)
    body = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=student, json={}).json
    attempt_id = body["attempt_id"]
    for seq, slot in enumerate(body["slots"], start=1):
        ack = client.post(f"/api/v1/attempts/{attempt_id}/answers", headers=student,
                          json={"slot": slot["slot"], "seq": seq,
                                "response": RIGHT[KINDS.index(slot["item_type"])]})
        assert ack.status_code == 200 and ack.json["ok"] and ack.json["seq"] == seq
    conflict = client.post(f"/api/v1/attempts/{attempt_id}/answers", headers=student,
                           json={"slot": 0, "seq": 1, "response": None})
    assert conflict.status_code == 409 and conflict.json["error"] == "seq_conflict"
    receipt = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=student).json["receipt"]
    log = client.get(f"/api/v1/attempts/{attempt_id}/log", headers=student).json
    assert verify(attempt_id, log["entries"]) == receipt == log["receipt"]
    late = client.post(f"/api/v1/attempts/{attempt_id}/answers", headers=student,
                       json={"slot": 0, "seq": 99, "response": None})
    assert late.json["error"] == "submitted"
    assert client.get(f"/api/v1/attempts/{attempt_id}", headers=student).json["result"] is None
    released = client.post(f"/api/v1/sittings/{sitting.id}/release", headers=teacher)
    assert released.status_code == 200
    result = client.get(f"/api/v1/attempts/{attempt_id}", headers=student).json["result"]
    assert result["score"] == result["max_score"] == 6.0
    assert client.post(f"/api/v1/sittings/{sitting.id}/release",
                       headers=teacher).json["error"] == "already_released"


def test_scopes(client: FlaskClient, app_db: Database, world: School, other_world: School,
                sitting: Sitting) -> None:
    owner = bearer(app_db, world.students[0])
    attempt_id = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=owner,
                             json={}).json["attempt_id"]
    classmate = bearer(app_db, world.students[1])
    stranger_teacher = bearer(app_db, other_world.teacher)
    outsider = bearer(app_db, other_world.students[0])
    for headers in (classmate, stranger_teacher, outsider):
        assert client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).status_code == 403
        assert client.get(f"/api/v1/attempts/{attempt_id}/log",
                          headers=headers).status_code == 403
    assert client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=outsider,
                       json={}).status_code == 403
    assert client.post(f"/api/v1/sittings/{sitting.id}/release",
                       headers=stranger_teacher).status_code == 403
    assert client.post(f"/api/v1/sittings/{sitting.id}/release",
                       headers=bearer(app_db, world.proctor)).status_code == 403
    assert client.post(f"/api/v1/attempts/{attempt_id}/pause",
                       headers=stranger_teacher).status_code == 403
    grader = bearer(app_db, world.grader)
    assert client.get(f"/api/v1/attempts/{attempt_id}/log", headers=grader).status_code == 200
    # Staff read an attempt without its render payload: no slots to leak.
    assert "slots" not in client.get(f"/api/v1/attempts/{attempt_id}", headers=grader).json


def test_proctor_pauses_and_extends_with_audit(client: FlaskClient, app_db: Database,
                                                world: School, sitting: Sitting) -> None:
    student = bearer(app_db, world.students[0])
    proctor = bearer(app_db, world.proctor)
    body = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=student, json={}).json
    attempt_id = body["attempt_id"]
    assert client.post(f"/api/v1/attempts/{attempt_id}/pause", headers=proctor).json["paused"]
    refused = client.post(f"/api/v1/attempts/{attempt_id}/answers", headers=student,
                          json={"slot": 0, "seq": 1, "response": None})
    assert refused.json["error"] == "paused"
    client.post(f"/api/v1/attempts/{attempt_id}/resume", headers=proctor)
    extended = client.post(f"/api/v1/attempts/{attempt_id}/extend", headers=proctor,
                           json={"minutes": 10}).json
    assert extended["deadline"] > body["deadline"]
    bad = client.post(f"/api/v1/attempts/{attempt_id}/extend", headers=proctor,
                      json={"minutes": "ten"})
    assert bad.status_code == 422 and bad.json["error"] == "extension_invalid"
    progress = client.get(f"/api/v1/sittings/{sitting.id}/progress", headers=proctor).json
    states = {c["username"]: c["state"] for c in progress["candidates"]}
    assert states[world.students[0].username] == "in_progress"
    assert states[world.students[1].username] == "not_started"
    with app_db.session() as session:
        actions = [e.action for e in records.audit_entries(session, object_id=attempt_id)]
    assert sorted(actions) == ["extend", "pause", "resume"]


def test_access_code_and_window(client: FlaskClient, app_db: Database, world: School) -> None:
    from datetime import timedelta

    from ardoise.clock import utcnow
    from tests.factories import open_sitting

    with app_db.session() as session:
        coded = open_sitting(session, world, access_code="XK42")
        later = open_sitting(session, world, opens=utcnow() + timedelta(hours=1),
                             closes=utcnow() + timedelta(hours=2))
    headers = bearer(app_db, world.students[0])
    wrong = client.post(f"/api/v1/sittings/{coded.id}/attempts", headers=headers,
                        json={"access_code": "nope"})
    assert wrong.status_code == 422 and wrong.json["error"] == "bad_access_code"
    assert "code" in wrong.json["message"]
    assert client.post(f"/api/v1/sittings/{coded.id}/attempts", headers=headers,
                       json={"access_code": "xk42"}).status_code == 201
    early = client.post(f"/api/v1/sittings/{later.id}/attempts", headers=headers, json={})
    assert early.status_code == 409 and early.json["error"] == "sitting_not_open"


def test_english_error_messages_for_english_users(client: FlaskClient, app_db: Database,
                                                  world: School) -> None:
    headers = bearer(app_db, world.students[0])
    response = client.get("/api/v1/attempts/nope", headers={**headers,
                                                            "Accept-Language": "en"})
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_openapi_documents_every_item_type(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    for kind in KINDS:
        assert f"Render_{kind}" in schemas and f"Response_{kind}" in schemas
    for path in ("/sittings", "/sittings/{sitting_id}/attempts", "/attempts/{attempt_id}",
                 "/attempts/{attempt_id}/log", "/sittings/{sitting_id}/release"):
        assert path in doc["paths"]
    for path in doc["paths"].values():
        for operation in path.values():
            for response in operation["responses"].values():
                assert "schema" in response["content"]["application/json"]


def test_the_proctors_table_gives_each_open_attempt_its_time_left(
        client: FlaskClient, app_db: Database, world: School, sitting: Sitting) -> None:
    """Time left: to the deadline from now while the clock runs, frozen at the pause while
    it is stopped, none for a student who has not started."""
    from datetime import datetime

    student = bearer(app_db, world.students[0])
    proctor = bearer(app_db, world.proctor)
    attempt_id = client.post(f"/api/v1/sittings/{sitting.id}/attempts", headers=student,
                             json={}).json["attempt_id"]

    def rows() -> tuple[dict[str, Any], dict[str, Any]]:
        body = client.get(f"/api/v1/sittings/{sitting.id}/progress", headers=proctor).json
        by_name = {c["username"]: c for c in body["candidates"]}
        return by_name[world.students[0].username], {**by_name[world.students[1].username],
                                                     "server_now": body["server_now"]}

    running, idle = rows()
    now = datetime.fromisoformat(idle["server_now"].replace("Z", "+00:00"))
    deadline = datetime.fromisoformat(running["deadline"].replace("Z", "+00:00"))
    assert 0 <= running["remaining_ms"] - (deadline - now).total_seconds() * 1000 <= 5000
    assert idle["remaining_ms"] is None
    client.post(f"/api/v1/attempts/{attempt_id}/pause", headers=proctor)
    with app_db.session() as session:
        attempt = attempts.get_attempt(session, attempt_id)
        frozen = round((attempt.deadline - attempt.paused_at).total_seconds() * 1000)  # type: ignore[operator]
    paused, _ = rows()
    assert paused["state"] == "paused" and paused["remaining_ms"] == frozen
    again, _ = rows()
    assert again["remaining_ms"] == frozen  # the clock is stopped
