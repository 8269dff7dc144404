"""The proctor's console reads a student's timeline and adds notes through the API: the
integrity events as recorded (server and client times, severity, the time away, only the
detail a type may keep), the staff's actions and notes, oldest first; a note is the same
record as one added on the integrity report; only the sitting's school sees or writes."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from ardoise.clock import iso, utcnow
from ardoise.db import Database
from exam_engine import attempts
from proctoring import events, policies
from student_records.models import AuditEntry
from tests.conftest import Auth
from tests.factories import School, open_sitting
from tests.web.test_item_authoring import csrf


def recorded_attempt(app_db: Database, world: School) -> tuple[str, Any]:
    """An attempt that left the tab for 25 s and pasted 12 characters (whose text the page
    sent too), then was paused by the proctor."""
    now = utcnow() - timedelta(minutes=5)
    with app_db.session() as session:
        sitting = open_sitting(session, world, opens=now - timedelta(minutes=1))
        policies.set_policy(session, sitting.id, counted=["tab_hidden", "paste"],
                            thresholds={"away_seconds": 20}, now=now)
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, now)
        events.record_event(session, attempt, "tab_hidden", now=now,
                            client_at=now - timedelta(seconds=2))
        events.record_event(session, attempt, "tab_visible", now=now + timedelta(seconds=25),
                            client_at=now + timedelta(seconds=23))
        events.record_event(session, attempt, "paste", now=now + timedelta(seconds=40),
                            detail={"length": 12, "text": "la réponse copiée"})
        return attempt.id, now


def api_token(client: FlaskClient) -> str:
    """The CSRF token the caller's pages carry (the console sends it with each POST)."""
    return csrf(client.get("/", follow_redirects=True).get_data(as_text=True))


def note(client: FlaskClient, attempt_id: str, token: str, text: Any) -> Any:
    return client.post(f"/api/v1/attempts/{attempt_id}/notes", json={"text": text},
                       headers={"X-CSRFToken": token})


def notes_stored(app_db: Database, attempt_id: str) -> int:
    with app_db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_id == attempt_id, AuditEntry.action == "note")) or 0)


def test_the_timeline_lists_events_with_their_times_and_the_proctors_actions(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    attempt_id, start = recorded_attempt(app_db, world)
    auth.login(world.proctor.username)
    token = api_token(client)
    paused = client.post(f"/api/v1/attempts/{attempt_id}/pause",
                         headers={"X-CSRFToken": token})
    assert paused.status_code == 200

    answer = client.get(f"/api/v1/attempts/{attempt_id}/timeline")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["attempt_id"] == attempt_id and body["max_note"] == 2000
    entries = body["entries"]
    assert [e["type"] for e in entries] == ["tab_hidden", "tab_visible", "paste", "pause"]
    hidden, back, paste, pause = entries
    assert hidden["at"] == iso(start)
    assert hidden["client_at"] == iso(start - timedelta(seconds=2))
    assert hidden["source"] == "client" and hidden["duration_ms"] is None
    assert hidden["label"] == "Onglet de l’examen quitté"
    assert back["duration_ms"] == 25_000 and back["label"] == "Retour"
    assert paste["detail"] == {"length": 12}  # the pasted text is never kept nor shown
    assert paste["client_at"] is None
    assert {hidden["severity"], paste["severity"]} <= {"info", "warning", "alert"}
    assert pause["source"] == "staff" and pause["severity"] == "staff"
    assert pause["by"] == world.proctor.display_name
    assert pause["detail"] == {}  # the audit's student id stays out
    assert pause["label"] == "En pause"

    client.get("/lang/en")
    english = client.get(f"/api/v1/attempts/{attempt_id}/timeline").get_json()["entries"]
    assert [e["label"] for e in english[:2]] == ["Left the exam tab", "Came back"]


def test_a_note_from_the_console_is_in_the_timeline_and_on_the_report(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    attempt_id, _start = recorded_attempt(app_db, world)
    auth.login(world.proctor.username)
    token = api_token(client)

    saved = note(client, attempt_id, token, "  L’élève dit avoir eu un malaise.  ")
    assert saved.status_code == 201
    assert saved.get_json() == {"ok": True, "text": "L’élève dit avoir eu un malaise."}
    entries = client.get(f"/api/v1/attempts/{attempt_id}/timeline").get_json()["entries"]
    assert entries[-1]["type"] == "note" and entries[-1]["label"] == "Note"
    assert entries[-1]["detail"] == {"text": "L’élève dit avoir eu un malaise."}
    assert entries[-1]["by"] == world.proctor.display_name

    report = html.unescape(client.get(f"/teacher/attempts/{attempt_id}/integrity")
                           .get_data(as_text=True))
    assert "L’élève dit avoir eu un malaise." in report
    # A note added on the report is the same record: the console lists it too.
    page = client.post(f"/teacher/attempts/{attempt_id}/note",
                       data={"csrf_token": token, "text": "Vu au fond de la salle."})
    assert page.status_code == 302
    entries = client.get(f"/api/v1/attempts/{attempt_id}/timeline").get_json()["entries"]
    assert [e["detail"].get("text") for e in entries if e["type"] == "note"] == [
        "L’élève dit avoir eu un malaise.", "Vu au fond de la salle."]
    assert notes_stored(app_db, attempt_id) == 2


def test_an_empty_or_too_long_note_is_refused_and_nothing_is_stored(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    attempt_id, _start = recorded_attempt(app_db, world)
    auth.login(world.proctor.username)
    token = api_token(client)
    for text in ("", "   \n ", None, 42, "x" * 2001):
        refused = note(client, attempt_id, token, text)
        assert refused.status_code == 422, text
        assert refused.get_json() == {"error": "note_invalid",
                                      "message": "Une note compte de 1 à 2 000 caractères."}
    client.get("/lang/en")
    english = note(client, attempt_id, token, " ")
    assert english.get_json()["message"] == "A note holds 1 to 2,000 characters."
    client.get("/lang/fr")
    assert notes_stored(app_db, attempt_id) == 0
    assert note(client, attempt_id, token, "x" * 2000).status_code == 201
    # Without the page's CSRF token, no note either.
    forged = client.post(f"/api/v1/attempts/{attempt_id}/notes", json={"text": "forgé"})
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf"
    assert notes_stored(app_db, attempt_id) == 1


def test_only_the_sittings_school_staff_read_the_timeline_or_add_notes(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    attempt_id, _start = recorded_attempt(app_db, world)
    for username in (other_world.proctor.username, other_world.teacher.username,
                     world.students[0].username, world.students[1].username):
        auth.login(username)
        token = api_token(client)
        read = client.get(f"/api/v1/attempts/{attempt_id}/timeline")
        assert read.status_code == 403, username
        assert read.get_json()["error"] == "forbidden"
        written = note(client, attempt_id, token, "Pas la mienne.")
        assert written.status_code == 403, username
        client.post("/logout", data={"csrf_token": token})
    assert notes_stored(app_db, attempt_id) == 0
    assert client.get(f"/api/v1/attempts/{attempt_id}/timeline").status_code == 401

    auth.login(world.teacher.username)
    assert client.get(f"/api/v1/attempts/{attempt_id}/timeline").status_code == 200
    assert client.get("/api/v1/attempts/no-such-attempt/timeline").status_code == 404
    assert note(client, "no-such-attempt", api_token(client), "x").status_code == 404


def test_the_openapi_document_describes_the_timeline_and_notes_as_they_answer(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    timeline = doc["paths"]["/attempts/{attempt_id}/timeline"]["get"]
    notes = doc["paths"]["/attempts/{attempt_id}/notes"]["post"]
    assert "note_invalid" in doc["components"]["schemas"]["Error"]["properties"]["error"][
        "enum"]
    attempt_id, _start = recorded_attempt(app_db, world)
    auth.login(world.proctor.username)
    body = client.get(f"/api/v1/attempts/{attempt_id}/timeline").get_json()
    schema = timeline["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body) == set(schema["properties"])
    entry = schema["properties"]["entries"]["items"]
    assert body["entries"] and all(set(e) == set(entry["properties"]) for e in body["entries"])
    assert all(set(entry["required"]) <= set(e) for e in body["entries"])
    text = notes["requestBody"]["content"]["application/json"]["schema"]["properties"]["text"]
    assert text["maxLength"] == body["max_note"]
    added = note(client, attempt_id, api_token(client), "Vu à l’écran.")
    assert added.status_code == 201 and set(added.get_json()) == set(
        notes["responses"]["201"]["content"]["application/json"]["schema"]["properties"])
    refused = note(client, attempt_id, api_token(client), "")
    assert refused.status_code == 422 and refused.get_json()["error"] == "note_invalid"
    assert "422" in notes["responses"]
