"""Integrity after the sitting, in the pages: the list with flagged students first, a report
with its timeline, addresses and notes, a review and a second review by another person, the
CSV export; proctors note but do not review; other schools see nothing."""

from __future__ import annotations

import csv
import html
import io
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from pypdf import PdfReader

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import attempts
from proctoring import events, policies
from tests.conftest import Auth
from tests.factories import School, open_sitting
from tests.web.test_item_authoring import csrf


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def flagged_sitting(app_db: Database, world: School) -> tuple[str, str, str]:
    now = utcnow()
    with app_db.session() as session:
        sitting = open_sitting(session, world)
        policies.set_policy(session, sitting.id, counted=["tab_hidden"],
                            thresholds={"away_seconds": 20}, now=now)
        first = attempts.start_or_resume(session, sitting.id, world.students[0].id, now)
        second = attempts.start_or_resume(session, sitting.id, world.students[1].id, now)
        events.seen_from(session, second, "10.0.0.5", now)
        events.record_event(session, second, "tab_hidden", now=now)
        events.record_event(session, second, "tab_visible", now=now + timedelta(seconds=25))
        events.seen_from(session, second, "192.0.2.7", now + timedelta(seconds=30))
        return sitting.id, first.id, second.id


def log_out(auth: Auth, home: str) -> None:
    auth.client.post("/logout", data={"csrf_token": auth.csrf(home)})


def test_a_teacher_reads_reviews_and_exports_a_proctor_notes(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    sitting_id, calm_id, flagged_id = flagged_sitting(app_db, world)
    auth.login(world.proctor.username)
    listing = text_of(client.get(f"/teacher/sittings/{sitting_id}/reviews"))
    assert listing.index(flagged_id) < listing.index(calm_id)  # flagged first
    report = client.get(f"/teacher/attempts/{flagged_id}/integrity")
    page = text_of(report)
    assert "10.0.0.5 → 192.0.2.7" in page and "Onglet de l’examen quitté" in page
    assert "Absence prolongée" in page and "(absent 25 s)" in page
    assert 'id="review-form-first"' not in page  # proctors note, teachers review
    noted = client.post(f"/teacher/attempts/{flagged_id}/note", data={
        "csrf_token": csrf(report.get_data(as_text=True)),
        "text": "L’élève dit avoir eu un malaise."})
    assert noted.status_code == 302
    assert client.post(f"/teacher/attempts/{flagged_id}/review", data={
        "csrf_token": csrf(report.get_data(as_text=True)), "status": "no_issue",
        "note": ""}).status_code == 403
    log_out(auth, "/teacher/")

    auth.login(world.teacher.username)
    report = client.get(f"/teacher/attempts/{flagged_id}/integrity")
    page = text_of(report)
    assert "L’élève dit avoir eu un malaise." in page
    token = csrf(report.get_data(as_text=True))
    missing_note = client.post(f"/teacher/attempts/{flagged_id}/review", data={
        "csrf_token": token, "which": "first", "status": "suspicious", "note": ""})
    assert missing_note.status_code == 422
    assert "pour suspect ou infraction" in text_of(missing_note)
    reviewed = client.post(f"/teacher/attempts/{flagged_id}/review", data={
        "csrf_token": token, "which": "first", "status": "suspicious",
        "note": "Absent 25 s; parler à l’élève."})
    assert reviewed.status_code == 302
    same = client.post(f"/teacher/attempts/{flagged_id}/review", data={
        "csrf_token": token, "which": "second", "status": "no_issue", "note": ""})
    assert same.status_code == 422 and "une autre personne" in text_of(same)
    exported = client.get(f"/teacher/sittings/{sitting_id}/integrity.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_attempt = {row["attempt_id"]: row for row in rows}
    assert by_attempt[flagged_id]["review"] == "suspicious"
    assert by_attempt[flagged_id]["flags"] == "away_seconds"
    assert by_attempt[flagged_id]["longest_away_seconds"] == "25"
    assert by_attempt[calm_id]["review"] == "not_reviewed"
    pdf = client.get(f"/teacher/attempts/{flagged_id}/integrity.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Rapport d’intégrité" in text and "Onglet de l’examen quitté" in text
    assert "10.0.0.5 -> 192.0.2.7" in text and "Suspect" in text
    assert "Absent 25 s; parler à l’élève." in text and "L’élève dit avoir eu un malaise." in text


def test_another_school_sees_no_report(auth: Auth, client: FlaskClient, app_db: Database,
                                       world: School, other_world: School) -> None:
    sitting_id, _calm, flagged_id = flagged_sitting(app_db, world)
    auth.login(other_world.teacher.username)
    for path in (f"/teacher/sittings/{sitting_id}/reviews",
                 f"/teacher/sittings/{sitting_id}/integrity.csv",
                 f"/teacher/attempts/{flagged_id}/integrity"):
        assert client.get(path).status_code == 404, path
