"""Handing in a file for a file-upload question, and a marker downloading it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import attempts, exams, grading, sittings
from exam_engine.attempts import get_attempt
from exam_engine.models import AttemptSlot, Sitting
from item_bank import service as items
from tests.conftest import Auth
from tests.factories import School, make_school

UPLOAD = {"stem": {"fr": "Remettez votre rapport."}, "kinds": ["pdf", "text"],
          "max_bytes": 2000, "points": 4, "rubric": {"fr": "Clarté"}}
LATE_FR = ("Le temps alloué à cette épreuve est écoulé : cette réponse est arrivée après "
           "l'échéance et n'a pas été enregistrée.")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class UploadSitting:
    world: School
    sitting: Sitting
    mine: str  # student 0's attempt
    theirs: str  # student 1's attempt


def upload_sitting(session: Session, prefix: str = "", question: dict[str, Any] = UPLOAD,
                   started_ago: timedelta = timedelta(0)) -> UploadSitting:
    """Two students' attempts, started ``started_ago`` (past their 10 minutes if more)."""
    world = make_school(session, prefix=prefix, students=2)
    item_ids = [items.get_version(session, items.create_item(
        session, world.school.id, kind, kind, body, author_id=world.teacher.id).id).item_id
        for kind, body in (("file_upload", question),
                           ("true_false", {"stem": {"fr": "1 + 1 = 2"}, "correct": True}))]
    exam = exams.create_exam(session, world.school.id, "Rapport", world.teacher.id, item_ids,
                             shuffle_questions=False)
    now = utcnow() - started_ago
    sitting = sittings.schedule_sitting(
        session, exam, title="Rapport", opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1), time_limit_seconds=600,
        class_id=world.klass.id, author_id=world.teacher.id)
    ids = [attempts.start_or_resume(session, sitting.id, s.id, now).id for s in world.students]
    return UploadSitting(world, sitting, *ids)


@pytest.fixture
def made(app_db: Database) -> UploadSitting:
    with app_db.session() as session:
        return upload_sitting(session)


def upload(client: FlaskClient, token: str, attempt_id: str, data: bytes,
           name: str = "rapport.pdf", slot: int = 0) -> Any:
    return client.post(f"/api/v1/attempts/{attempt_id}/answers/{slot}/file",
                       data={"file": (BytesIO(data), name)}, headers={"X-CSRFToken": token},
                       content_type="multipart/form-data")


def save(client: FlaskClient, token: str, attempt_id: str, response: Any, seq: int = 1) -> Any:
    return client.post(f"/api/v1/attempts/{attempt_id}/answers",
                       json={"slot": 0, "seq": seq, "response": response},
                       headers={"X-CSRFToken": token})


def page_token(client: FlaskClient) -> str:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def login(auth: Auth, username: str) -> str:
    auth.login(username)
    return page_token(auth.client)


def stored(app: Flask, attempt_id: str) -> list[Path]:
    root = Path(app.extensions["ardoise.config"].data_dir) / "uploads" / attempt_id
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_student_hands_in_a_file_and_saves_its_reference(
        app: Flask, app_db: Database, auth: Auth, client: FlaskClient,
        made: UploadSitting) -> None:
    token = login(auth, made.world.students[0].username)
    answer = upload(client, token, made.mine, PDF, name="../Rapport final.PDF")
    assert answer.status_code == 201, answer.get_json()
    digest = hashlib.sha256(PDF).hexdigest()
    reference = answer.get_json()["response"]
    assert reference == {"file": digest, "name": "Rapport final.pdf", "size": len(PDF),
                         "kind": "pdf"}
    [path] = stored(app, made.mine)
    assert path.relative_to(Path(app.extensions["ardoise.config"].data_dir)) == \
        Path("uploads", made.mine, "0", digest)
    assert path.read_bytes() == PDF
    saved = save(client, token, made.mine, reference)
    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    with app_db.session() as session:
        slot = session.query(AttemptSlot).filter_by(attempt_id=made.mine, slot=0).one()
        assert slot.response == reference
    # Handing in the same file again stores nothing new; removing it saves null.
    assert upload(client, token, made.mine, PDF).status_code == 201
    assert len(stored(app, made.mine)) == 1
    assert save(client, token, made.mine, None, seq=2).get_json()["ok"] is True


def test_a_reference_to_a_file_never_received_is_refused(
        app: Flask, app_db: Database, auth: Auth, client: FlaskClient,
        made: UploadSitting) -> None:
    token = login(auth, made.world.students[0].username)
    forged = {"file": hashlib.sha256(b"other").hexdigest(), "name": "x.pdf", "size": 5,
              "kind": "pdf"}
    refused = save(client, token, made.mine, forged)
    assert refused.status_code == 422 and refused.get_json()["error"] == "invalid_response"
    # Another student's file is not this attempt's, even with the right digest.
    other = login(auth, made.world.students[1].username)
    theirs = upload(client, other, made.theirs, PDF).get_json()["response"]
    token = login(auth, made.world.students[0].username)
    assert save(client, token, made.mine, theirs).get_json()["error"] == "invalid_response"
    # A real reference with a size that is not the file's is refused too.
    mine = upload(client, token, made.mine, PDF).get_json()["response"]
    assert save(client, token, made.mine, {**mine, "size": 7}).status_code == 422
    with app_db.session() as session:
        slot = session.query(AttemptSlot).filter_by(attempt_id=made.mine, slot=0).one()
        assert slot.response is None and slot.seq == 0


def test_only_the_owner_may_upload(app: Flask, auth: Auth, client: FlaskClient,
                                   made: UploadSitting) -> None:
    token = login(auth, made.world.students[1].username)
    refused = upload(client, token, made.mine, PDF)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    token = login(auth, made.world.teacher.username)
    assert upload(client, token, made.mine, PDF).status_code == 403
    assert stored(app, made.mine) == []
    client.post("/logout", data={"csrf_token": token})
    assert upload(client, token, made.mine, PDF).status_code in (400, 401)
    assert upload(client, "", "nope", PDF).status_code in (400, 401)


def test_a_late_upload_is_refused_with_the_reason(
        app: Flask, app_db: Database, auth: Auth, client: FlaskClient) -> None:
    with app_db.session() as session:
        made = upload_sitting(session, started_ago=timedelta(minutes=12))
    token = login(auth, made.world.students[0].username)
    refused = upload(client, token, made.mine, PDF)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "late" and body["message"] == LATE_FR
    assert stored(app, made.mine) == []


def test_a_submitted_attempt_takes_no_file(app: Flask, app_db: Database, auth: Auth,
                                          client: FlaskClient, made: UploadSitting) -> None:
    with app_db.session() as session:
        attempts.submit(session, get_attempt(session, made.mine, for_update=True), utcnow(),
                        "student", 2.0)
    token = login(auth, made.world.students[0].username)
    assert upload(client, token, made.mine, PDF).get_json()["error"] == "submitted"


@pytest.mark.parametrize("data, name, slot, code", [
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "photo.pdf", 0, "upload_wrong_kind"),  # not a PDF inside
    (b"MZ\x90\x00" + bytes(20), "rapport.pdf", 0, "upload_wrong_kind"),
    (PDF, "rapport.txt", 0, "upload_wrong_kind"),  # a PDF named as text
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "photo.png", 0, "upload_wrong_kind"),  # not accepted
    (b"%PDF-" + b"x" * 2000, "gros.pdf", 0, "upload_too_big"),
    (b"", "vide.pdf", 0, "upload_empty"),
    (PDF, "rapport.pdf", 1, "upload_wrong_slot"),  # a true/false question
    (PDF, "rapport.pdf", 9, "upload_wrong_slot"),
])
def test_bad_files_are_refused_with_a_translated_reason(
        data: bytes, name: str, slot: int, code: str, app: Flask, auth: Auth,
        client: FlaskClient, made: UploadSitting) -> None:
    token = login(auth, made.world.students[0].username)
    refused = upload(client, token, made.mine, data, name=name, slot=slot)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == code
    expected = {"upload_wrong_kind": "Acceptés : .pdf, .txt", "upload_too_big": "au plus 0 Mo",
                "upload_empty": "pas vide", "upload_wrong_slot": "ne prend pas de fichier"}
    assert expected[code] in body["message"]
    assert stored(app, made.mine) == []


def test_a_file_too_large_for_any_item_is_refused_before_the_view(
        auth: Auth, client: FlaskClient, made: UploadSitting) -> None:
    token = login(auth, made.world.students[0].username)
    huge = b"%PDF-" + bytes(26 * 1024 * 1024)
    assert upload(client, token, made.mine, huge).status_code == 413


def graded(app_db: Database, made: UploadSitting, client: FlaskClient, auth: Auth) -> str:
    token = login(auth, made.world.students[0].username)
    reference = upload(client, token, made.mine, PDF).get_json()["response"]
    assert save(client, token, made.mine, reference).get_json()["ok"] is True
    with app_db.session() as session:
        for attempt_id in (made.mine, made.theirs):
            attempts.submit(session, get_attempt(session, attempt_id, for_update=True),
                            utcnow(), "student", 2.0)
            grading.grade_attempt(session, attempt_id, utcnow())
    client.post("/logout", data={"csrf_token": token})
    return f"/teacher/sittings/{made.sitting.id}/marking/{made.mine}/0/file"


def test_markers_download_the_file_from_the_marking_page(
        app_db: Database, auth: Auth, client: FlaskClient, made: UploadSitting) -> None:
    url = graded(app_db, made, client, auth)
    for marker in (made.world.teacher, made.world.grader):
        auth.login(marker.username)
        page = client.get(f"/teacher/sittings/{made.sitting.id}/marking").get_data(as_text=True)
        assert f'href="{url}"' in page and "Télécharger le fichier : rapport.pdf" in page
        download = client.get(url)
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "rapport.pdf" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]
        client.post("/logout", data={"csrf_token": page_token(client)})
    # The other student handed in nothing: nothing to download.
    auth.login(made.world.teacher.username)
    empty = client.get(url.replace(made.mine, made.theirs))
    assert empty.status_code == 404


def test_nobody_else_downloads_the_file(app_db: Database, auth: Auth, client: FlaskClient,
                                        made: UploadSitting) -> None:
    url = graded(app_db, made, client, auth)
    with app_db.session() as session:
        stranger = make_school(session, prefix="other-", students=1)
    for person in (made.world.students[0], made.world.students[1], made.world.proctor,
                   stranger.teacher, stranger.grader):
        auth.login(person.username)
        refused = client.get(url)
        assert refused.status_code == 403, person.username
        assert refused.data != PDF
        client.post("/logout", data={"csrf_token": page_token(client)})
    # Another sitting's id with this attempt is not found, even for a marker of the school.
    auth.login(made.world.teacher.username)
    assert client.get(url.replace(made.sitting.id, "nope")).status_code == 404


def test_uploads_to_one_attempt_are_rate_limited(app: Flask, auth: Auth, client: FlaskClient,
                                                 made: UploadSitting) -> None:
    token = login(auth, made.world.students[0].username)
    for n in range(40):
        assert upload(client, token, made.mine, PDF + str(n).encode()).status_code == 201
    refused = upload(client, token, made.mine, PDF)
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
    assert len(stored(app, made.mine)) == 40
    # Another student's attempt has its own allowance.
    other = login(auth, made.world.students[1].username)
    assert upload(client, other, made.theirs, PDF).status_code == 201


def test_a_file_above_the_forms_limit_but_within_the_items_is_taken(
        app: Flask, app_db: Database, auth: Auth, client: FlaskClient) -> None:
    """The application refuses bodies over 8 MB; an upload may carry up to 25 MB."""
    with app_db.session() as session:
        made = upload_sitting(session, question={**UPLOAD, "max_bytes": 12 * 1024 * 1024})
    token = login(auth, made.world.students[0].username)
    scan = b"%PDF-1.7\n" + bytes(10 * 1024 * 1024)
    answer = upload(client, token, made.mine, scan, name="numérisation.pdf")
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["response"]["size"] == len(scan)
    assert stored(app, made.mine)[0].stat().st_size == len(scan)
