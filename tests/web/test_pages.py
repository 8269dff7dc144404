"""Teacher and student pages: forms keep what was typed, keys never reach the exam page."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import attempts, grading
from exam_engine.models import Exam, Sitting
from item_bank.models import Item
from tests.conftest import Auth
from tests.factories import ITEMS, RIGHT, School

KINDS = [k for k, _ in ITEMS]


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_item_form_keeps_input_on_error_and_saves(auth: Auth, client: FlaskClient,
                                                  app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    page = client.get("/teacher/items/new?type=single_choice").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "type": "single_choice", "title": "Fleuve",
            "stem_fr": "Quel fleuve?", "option0_fr": "Saint-Laurent", "option1_fr": "Fraser",
            "points": "1"}
    refused = client.post("/teacher/items/new", data=form)
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "champ : bonne réponse" in text
    assert 'value="Saint-Laurent"' in text and "Quel fleuve?" in text
    with app_db.session() as session:
        assert session.scalar(select(Item).where(Item.title == "Fleuve")) is None
    saved = client.post("/teacher/items/new", data={**form, "correct": "a"})
    assert saved.status_code == 302
    with app_db.session() as session:
        item = session.scalar(select(Item).where(Item.title == "Fleuve"))
        assert item is not None and item.latest_version == 1


def test_build_exam_and_schedule_in_local_time(auth: Auth, client: FlaskClient,
                                               app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    with app_db.session() as session:
        item_ids = list(session.scalars(select(Item.id).where(
            Item.organisation_id == world.school.id)))
    page = client.get("/teacher/exams/new").get_data(as_text=True)
    empty = client.post("/teacher/exams/new", data={"csrf_token": csrf(page), "title": "Quiz"})
    assert empty.status_code == 422 and 'value="Quiz"' in empty.get_data(as_text=True)
    made = client.post("/teacher/exams/new", data={"csrf_token": csrf(page), "title": "Quiz",
                                                    "item_ids": item_ids[:3],
                                                    "shuffle_questions": "on"})
    assert made.status_code == 302
    with app_db.session() as session:
        exam = session.scalar(select(Exam).where(Exam.title == "Quiz"))
        assert exam is not None
    page = client.get(f"/teacher/sittings/new?exam_id={exam.id}").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "exam_id": exam.id, "title": "Quiz du lundi",
            "opens_at": "2026-07-06T08:30", "closes_at": "2026-07-06T08:00",
            "time_limit": "45", "class_id": world.klass.id, "display_mode": "all"}
    backwards = client.post("/teacher/sittings/new", data=form)
    assert backwards.status_code == 422
    assert 'value="Quiz du lundi"' in backwards.get_data(as_text=True)
    scheduled = client.post("/teacher/sittings/new", data={**form,
                                                           "closes_at": "2026-07-06T10:00"})
    assert scheduled.status_code == 302
    with app_db.session() as session:
        sitting = session.scalar(select(Sitting).where(Sitting.title == "Quiz du lundi"))
        assert sitting is not None
        # Montreal is UTC-4 in July (daylight saving time).
        assert sitting.opens_at == datetime(2026, 7, 6, 12, 30, tzinfo=UTC)
        assert sitting.time_limit_seconds == 45 * 60
    watch = client.get(scheduled.headers["Location"]).get_data(as_text=True)
    assert "Quiz du lundi" in watch and world.students[0].username in watch


def test_exam_page_carries_no_key(auth: Auth, client: FlaskClient, world: School,
                                  sitting: Sitting) -> None:
    auth.login(world.students[0].username)
    page = client.get("/student/").get_data(as_text=True)
    started = client.post(f"/student/sittings/{sitting.id}/start", data={"csrf_token": csrf(page)})
    assert started.status_code == 302
    exam_page = client.get(started.headers["Location"]).get_data(as_text=True)
    data = json.loads(html.unescape(re.search(
        r'<script type="application/json" id="exam-data">(.*?)</script>', exam_page,
        re.S).group(1)))  # type: ignore[union-attr]
    assert sorted(s["item_type"] for s in data["slots"]) == sorted(KINDS)
    for secret in ('"correct"', "Saint-Laurent", "3.1416", '"tolerance"', "ignore_accents"):
        assert secret not in exam_page
    assert data["strings"]["submit"] == "Remettre mon épreuve"


def test_other_students_exam_page_is_refused(auth: Auth, client: FlaskClient,
                                             app_db: Database, world: School,
                                             sitting: Sitting) -> None:
    with app_db.session() as session:
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
    auth.login(world.students[1].username)
    assert client.get(f"/exam/{attempt.id}").status_code == 403
    assert client.get(f"/student/attempts/{attempt.id}/results").status_code == 403


def test_results_page_after_release_and_charts(auth: Auth, client: FlaskClient,
                                               app_db: Database, world: School,
                                               sitting: Sitting) -> None:
    from exam_engine import answer_log

    with app_db.session() as session:
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
        views = attempts.render_slots(session, attempt)
    for seq, view in enumerate(views, start=1):
        with app_db.session() as session:
            answer_log.save(session, attempt.id, world.students[0].id, slot=view.slot, seq=seq,
                            response=RIGHT[KINDS.index(view.item_type)], now=utcnow(),
                            grace_seconds=5)
    with app_db.session() as session:
        attempts.submit(session, attempts.get_attempt(session, attempt.id), utcnow(), "student",
                        5)
        grading.grade_attempt(session, attempt.id, utcnow())
    auth.login(world.students[0].username)
    waiting = client.get(f"/student/attempts/{attempt.id}/results").get_data(as_text=True)
    assert "ne sont pas encore publiés" in waiting
    client.post("/logout", data={"csrf_token": auth.csrf("/student/")})
    auth.login(world.teacher.username)
    watch = client.get(f"/teacher/sittings/{sitting.id}")
    text = watch.get_data(as_text=True)
    assert "Répartition des notes (1 copies corrigées)" in text and "<svg" in text
    client.post(f"/teacher/sittings/{sitting.id}/release", data={"csrf_token": csrf(text)})
    client.post("/logout", data={"csrf_token": auth.csrf("/teacher/")})
    auth.login(world.students[0].username)
    results = client.get(f"/student/attempts/{attempt.id}/results").get_data(as_text=True)
    assert "Note : 6 / 6" in results


def test_proctor_watches_but_cannot_author(auth: Auth, client: FlaskClient, world: School,
                                           sitting: Sitting) -> None:
    auth.login(world.proctor.username)
    assert client.get(f"/teacher/sittings/{sitting.id}").status_code == 200
    assert client.get("/teacher/items/new").status_code == 403
    assert b"release-button" not in client.get(f"/teacher/sittings/{sitting.id}").data


def test_teacher_of_another_school_cannot_watch(auth: Auth, client: FlaskClient,
                                                other_world: School, sitting: Sitting) -> None:
    auth.login(other_world.teacher.username)
    assert client.get(f"/teacher/sittings/{sitting.id}").status_code == 403
