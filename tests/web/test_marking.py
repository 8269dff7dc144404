"""The marking page: a teacher marks an essay, strangers are refused, the student sees the mark."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from ardoise.db import Database
from exam_engine.models import Attempt
from tests.conftest import Auth
from tests.essays import EssaySitting, essay_sitting
from tests.factories import School


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


@pytest.fixture
def essays(app_db: Database) -> EssaySitting:
    with app_db.session() as session:
        return essay_sitting(session)


def marking_url(made: EssaySitting) -> str:
    return f"/teacher/sittings/{made.sitting.id}/marking"


def mark_url(made: EssaySitting, attempt_id: str, slot: int = 0) -> str:
    return f"{marking_url(made)}/{attempt_id}/{slot}"


def logout(client: FlaskClient, auth: Auth) -> None:
    client.post("/logout", data={"csrf_token": auth.csrf("/login")})


def test_a_teacher_marks_an_essay_and_the_total_changes(auth: Auth, client: FlaskClient,
                                                        app_db: Database,
                                                        essays: EssaySitting) -> None:
    auth.login(essays.world.teacher.username)
    watch = client.get(f"/teacher/sittings/{essays.sitting.id}").get_data(as_text=True)
    assert f'href="{marking_url(essays)}"' in watch
    assert "0 sur 2 corrigées" in watch
    page = client.get(marking_url(essays))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "0 sur 2 corrigées" in text and '<progress value="0" max="2"' in text
    assert "3 idées, 1 point chacune" in text  # the rubric, for graders
    assert "Le &lt;b&gt;Saint-Laurent&lt;/b&gt;." in text  # the response, escaped
    saved = client.post(mark_url(essays, essays.written),
                        data={"csrf_token": csrf(text), "points": "3,5",
                              "comment": "Bonne <structure>."})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"#answer-{essays.other}-0")
    with app_db.session() as session:
        attempt = session.get(Attempt, essays.written)
        assert attempt is not None and (attempt.score, attempt.awaiting_marks) == (4.5, 0)
    after = client.get(marking_url(essays)).get_data(as_text=True)
    assert "1 sur 2 corrigées" in after and "Note enregistrée : 3,5 points." in after
    assert "Bonne &lt;structure&gt;." in after and "Corrigée : 3,5 / 5" in after


def test_bad_points_keep_the_input_with_an_error(auth: Auth, client: FlaskClient,
                                                 app_db: Database, essays: EssaySitting) -> None:
    auth.login(essays.world.teacher.username)
    token = csrf(client.get(marking_url(essays)).get_data(as_text=True))
    refused = client.post(mark_url(essays, essays.written),
                          data={"csrf_token": token, "points": "7", "comment": "À revoir"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "Les points doivent être entre 0 et 5." in text
    assert 'value="7"' in text and ">À revoir</textarea>" in text
    assert 'aria-invalid="true"' in text
    client.get("/lang/en")
    english = client.post(mark_url(essays, essays.written),
                          data={"csrf_token": token, "points": "deux", "comment": ""})
    assert english.status_code == 422
    assert "The points must be a number such as 3 or 2,5" in english.get_data(as_text=True)
    with app_db.session() as session:
        attempt = session.get(Attempt, essays.written)
        assert attempt is not None and attempt.awaiting_marks == 1


def test_strangers_and_students_are_refused(auth: Auth, client: FlaskClient, app_db: Database,
                                            essays: EssaySitting, other_world: School) -> None:
    auth.login(other_world.teacher.username)
    token = csrf(client.get("/teacher/").get_data(as_text=True))
    assert client.get(marking_url(essays)).status_code == 403
    assert client.post(mark_url(essays, essays.written),
                       data={"csrf_token": token, "points": "1"}).status_code == 403
    logout(client, auth)
    auth.login(essays.world.students[0].username)
    token = csrf(client.get("/student/").get_data(as_text=True))
    assert client.get(marking_url(essays)).status_code == 403
    assert client.post(mark_url(essays, essays.written),
                       data={"csrf_token": token, "points": "5"}).status_code == 403
    logout(client, auth)
    auth.login(essays.world.teacher.username)
    token = csrf(client.get(marking_url(essays)).get_data(as_text=True))
    assert client.post(mark_url(essays, essays.written, 1),
                       data={"csrf_token": token, "points": "1"}).status_code == 404
    assert client.get("/teacher/sittings/nope/marking").status_code == 404
    with app_db.session() as session:
        attempt = session.get(Attempt, essays.written)
        assert attempt is not None and attempt.awaiting_marks == 1


def test_a_grader_reaches_the_marking_page_from_the_sitting_list(
        auth: Auth, client: FlaskClient, essays: EssaySitting) -> None:
    auth.login(essays.world.grader.username)
    assert f'href="{marking_url(essays)}"' in client.get("/teacher/").get_data(as_text=True)
    assert client.get(marking_url(essays)).status_code == 200


def test_released_results_show_awaiting_marking_then_the_mark(auth: Auth, client: FlaskClient,
                                                              essays: EssaySitting) -> None:
    auth.login(essays.world.teacher.username)
    watch = client.get(f"/teacher/sittings/{essays.sitting.id}").get_data(as_text=True)
    assert "Réponses encore en attente de correction : 2." in watch
    client.post(f"/teacher/sittings/{essays.sitting.id}/release",
                data={"csrf_token": csrf(watch)})
    logout(client, auth)
    results_url = f"/student/attempts/{essays.written}/results"
    auth.login(essays.world.students[0].username)
    waiting = html.unescape(client.get(results_url).get_data(as_text=True))
    assert "Note : en attente de correction" in waiting
    assert "Réponses en attente de correction par votre enseignant : 1." in waiting
    assert "En attente de correction" in waiting and "Note : 1 /" not in waiting
    assert "3 idées" not in waiting  # the rubric never reaches a student
    api = client.get(f"/api/v1/attempts/{essays.written}").json["result"]
    assert api["score"] is None and api["awaiting_marking"] == 1
    logout(client, auth)
    auth.login(essays.world.teacher.username)
    token = csrf(client.get(marking_url(essays)).get_data(as_text=True))
    client.post(mark_url(essays, essays.written),
                data={"csrf_token": token, "points": "4", "comment": "Clair et précis."})
    logout(client, auth)
    auth.login(essays.world.students[0].username)
    marked = html.unescape(client.get(results_url).get_data(as_text=True))
    assert "Note : 5 / 6" in marked and "En attente de correction" not in marked
    assert "Commentaire : Clair et précis." in marked and "4 / 5" in marked
