"""The item bank's teacher pages: search and browse, banks and their members, usage history."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, exams, grading, sittings
from item_bank import banks, workflow
from item_bank import service as items
from item_bank.banks import BankRole
from student_records import service as records
from student_records.models import Role
from tests.conftest import Auth
from tests.factories import ITEMS, PASSWORD, School

CHOICE = ITEMS[0][1]


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    Auth(client).login(username)
    return client


def listed_titles(page: str) -> list[str]:
    table = page.split('id="item-list"', 1)[1].split("</table>", 1)[0] \
        if 'id="item-list"' in page else ""
    return re.findall(r'<a href="/teacher/items/[0-9a-z]+">([^<]+)</a>', table)


def colleague(app_db: Database, world: School, username: str = "collegue") -> str:
    with app_db.session() as session:
        person = records.create_person(session, username, password=PASSWORD,
                                       given_name="Chloé", family_name="Tremblay")
        records.assign_role(session, person, Role.TEACHER, world.school)
        return person.id


# -- search and browse -------------------------------------------------------------------

def test_search_is_accent_insensitive_and_every_filter_narrows_it(
        app: Flask, app_db: Database, world: School) -> None:
    other_id = colleague(app_db, world)
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Sciences", False, world.teacher.id)
        mine = items.create_item(session, world.school.id, "single_choice", "Équation",
                                 {**CHOICE, "stem": {"fr": "Résoudre l’équation du 2ᵉ degré"}},
                                 author_id=world.teacher.id, bank_id=bank.id).item_id
        workflow.set_metadata(session, mine, {
            "subject": "Mathématique", "level": "Secondaire 4", "competency": "Résoudre",
            "difficulty": 4, "licence": "CC-BY-4.0", "tags": ["algèbre", "Fonctions"]})
        theirs = items.create_item(session, world.school.id, "true_false", "Équation vraie",
                                   {"stem": {"fr": "Une équation a toujours une solution"},
                                    "correct": False}, author_id=other_id).item_id
        workflow.set_metadata(session, theirs, {"subject": "Mathématique", "level": "Secondaire 3",
                                                "difficulty": 2, "tags": ["algèbre"]})
    client = client_of(app, world.teacher.username)

    def titles(**query: str) -> list[str]:
        answer = client.get("/teacher/items", query_string=query)
        assert answer.status_code == 200
        return listed_titles(answer.get_data(as_text=True))

    assert set(titles(q="EQUATION")) == {"Équation", "Équation vraie"}
    assert titles(q="equation degre") == ["Équation"]
    assert titles(q="equation", type="true_false") == ["Équation vraie"]
    assert titles(q="equation", level="Secondaire 4") == ["Équation"]
    assert titles(q="equation", competency="Résoudre") == ["Équation"]
    assert titles(q="equation", difficulty="2") == ["Équation vraie"]
    assert titles(q="equation", licence="CC-BY-4.0") == ["Équation"]
    assert set(titles(tag="Algèbre")) == {"Équation", "Équation vraie"}
    assert titles(tag="fonctions") == ["Équation"]
    assert titles(bank=bank.id) == ["Équation"]
    assert titles(author=other_id) == ["Équation vraie"]
    assert titles(q="equation", status="draft", subject="Mathématique") != []
    assert titles(q="equation", status="published") == []
    page = client.get("/teacher/items", query_string={"q": "introuvable"}).get_data(as_text=True)
    assert "Aucune question ne correspond à cette recherche." in page
    # The form keeps what was searched, and the filters offer what exists.
    page = client.get("/teacher/items", query_string={"q": "équation", "level": "Secondaire 4"}
                      ).get_data(as_text=True)
    assert 'value="équation"' in page and 'value="Secondaire 4"' in page
    assert '<option value="Mathématique">' in page and "Chloé Tremblay" in page


def test_a_bad_difficulty_is_refused_by_name_and_the_search_is_kept(
        client: FlaskClient, auth: Auth, world: School) -> None:
    auth.login(world.teacher.username)
    answer = client.get("/teacher/items", query_string={"q": "capitale", "difficulty": "dur"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "difficulté" in page
    assert 'value="capitale"' in page and 'value="dur"' in page
    assert 'aria-invalid="true"' in page


def test_results_come_a_page_at_a_time_and_the_pages_keep_the_search(
        app: Flask, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        for n in range(30):
            items.create_item(session, world.school.id, "true_false", f"Série {n:02d}",
                              {"stem": {"fr": f"Affirmation numéro {n}"}, "correct": True},
                              author_id=world.teacher.id)
    client = client_of(app, world.teacher.username)
    first = client.get("/teacher/items", query_string={"q": "affirmation"}).get_data(as_text=True)
    assert "30 questions" in first and "page 1 sur 2" in first
    assert len(listed_titles(first)) == 25
    assert 'href="?q=affirmation&amp;page=2"' in first
    second = client.get("/teacher/items", query_string={"q": "affirmation", "page": "2"}
                        ).get_data(as_text=True)
    assert len(listed_titles(second)) == 5
    assert not set(listed_titles(first)) & set(listed_titles(second))
    assert set(listed_titles(first)) | set(listed_titles(second)) == {
        f"Série {n:02d}" for n in range(30)}
    assert client.get("/teacher/items", query_string={"page": "x"}).status_code == 200


def test_confidential_items_never_show_to_a_teacher_outside_the_bank(
        app: Flask, app_db: Database, world: School, other_world: School) -> None:
    outsider = colleague(app_db, world)
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
        secret = items.create_item(session, world.school.id, "single_choice", "Secret d’État",
                                   {**CHOICE, "stem": {"fr": "Épreuve unique confidentielle"}},
                                   author_id=world.teacher.id, bank_id=bank.id).item_id
        workflow.set_metadata(session, secret, {"subject": "Histoire secrète",
                                                "tags": ["ministère"]})
    member = client_of(app, world.teacher.username)
    assert listed_titles(member.get("/teacher/items", query_string={"q": "epreuve"})
                         .get_data(as_text=True)) == ["Secret d’État"]
    for username in ("collegue", other_world.teacher.username):
        client = client_of(app, username)
        for query in ({}, {"q": "epreuve"}, {"bank": bank.id}, {"tag": "ministère"},
                      {"subject": "Histoire secrète"}, {"author": world.teacher.id}):
            page = client.get("/teacher/items", query_string=query).get_data(as_text=True)
            assert "Secret d’État" not in page and secret not in page
            # Not even among the values the filters offer.
            assert '<option value="Histoire secrète">' not in page
            assert '<option value="ministère">' not in page and ">Ministère<" not in page
    assert outsider
    student = client_of(app, world.students[0].username)
    assert student.get("/teacher/items").status_code == 403


# -- banks -------------------------------------------------------------------------------

def test_a_teacher_creates_a_bank_and_the_form_keeps_its_input_on_error(
        app: Flask, app_db: Database, world: School) -> None:
    client = client_of(app, world.teacher.username)
    token = csrf(client.get("/teacher/banks").get_data(as_text=True))
    made = client.post("/teacher/banks", data={"csrf_token": token, "name": "Ministère 2026",
                                               "organisation_id": world.school.id,
                                               "confidential": "on"})
    assert made.status_code == 302
    bank_page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Ministère 2026" in bank_page and "Confidentielle" in bank_page
    assert world.teacher.username in bank_page  # its creator is its first author
    again = client.post("/teacher/banks", data={"csrf_token": token, "name": "Ministère 2026",
                                                "organisation_id": world.school.id,
                                                "confidential": "on"})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "existe déjà" in page
    assert 'value="Ministère 2026"' in page and 'name="confidential" checked' in page
    listing = client.get("/teacher/banks").get_data(as_text=True)
    assert listing.count("Ministère 2026") == 1
    # Another school's organisation is not the teacher's to create banks in.
    refused = client.post("/teacher/banks", data={"csrf_token": token, "name": "Vol",
                                                  "organisation_id": "01nosuchorganisation00"})
    assert refused.status_code == 422 and 'value="Vol"' in refused.get_data(as_text=True)


def test_authors_and_admins_appoint_members_and_nobody_else_can(
        app: Flask, app_db: Database, world: School, other_world: School) -> None:
    colleague(app_db, world)
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
    url = f"/teacher/banks/{bank.id}"
    author = client_of(app, world.teacher.username)
    token = csrf(author.get(url).get_data(as_text=True))
    added = author.post(url + "/members", data={"csrf_token": token, "username": "collegue",
                                                "role": "reviewer"}, follow_redirects=True)
    assert "Chloé Tremblay" in added.get_data(as_text=True)
    with app_db.session() as session:
        person_id = records.person_by_username(session, "collegue").id
        members = {(m.person_id, m.role) for m in banks.members_of(session, bank.id)}
    assert members == {(world.teacher.id, "author"), (person_id, "reviewer")}
    # Someone of another school, a student, or an unknown name cannot be appointed.
    for username in (other_world.teacher.username, world.students[0].username, "personne"):
        refused = author.post(url + "/members", data={"csrf_token": token,
                                                      "username": username, "role": "author"})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "ne fait pas partie du personnel" in page
        assert f'value="{username}"' in page  # the form keeps it
    bad_role = author.post(url + "/members", data={"csrf_token": token, "username": "collegue",
                                                   "role": "boss"})
    assert bad_role.status_code == 422

    # A reviewer sees the bank but cannot appoint anyone.
    reviewer = client_of(app, "collegue")
    page = reviewer.get(url).get_data(as_text=True)
    assert page and 'id="member-form"' not in page
    assert reviewer.post(url + "/members", data={
        "csrf_token": csrf(page), "username": "collegue", "role": "author"}).status_code == 403
    # The board's admin manages members without being one, and sees no item of the bank.
    admin = client_of(app, world.admin.username)
    admin_page = admin.get(url).get_data(as_text=True)
    assert 'id="member-form"' in admin_page
    assert f'href="/teacher/items?bank={bank.id}"' not in admin_page
    assert admin.post(url + "/members", data={"csrf_token": csrf(admin_page),
                                              "username": "collegue", "role": "author"}
                      ).status_code == 302
    # Outside the bank: as if it did not exist.
    for username in (other_world.teacher.username,):
        stranger = client_of(app, username)
        assert stranger.get(url).status_code == 404
        assert "Ministère" not in stranger.get("/teacher/banks").get_data(as_text=True)
    student = client_of(app, world.students[0].username)
    assert student.get(url).status_code == 403 and student.get("/teacher/banks").status_code == 403


def test_the_last_author_stays_and_a_removed_member_loses_the_items(
        app: Flask, app_db: Database, world: School) -> None:
    other_id = colleague(app_db, world)
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
        banks.add_member(session, bank.id, other_id, BankRole.REVIEWER, world.teacher.id)
        item_id = items.create_item(session, world.school.id, "single_choice", "Secret",
                                    CHOICE, author_id=world.teacher.id, bank_id=bank.id).item_id
    url = f"/teacher/banks/{bank.id}"
    author = client_of(app, world.teacher.username)
    token = csrf(author.get(url).get_data(as_text=True))
    kept = author.post(f"{url}/members/{world.teacher.id}/remove",
                       data={"csrf_token": token, "role": "author"}, follow_redirects=True)
    assert "au moins un auteur" in kept.get_data(as_text=True)
    reviewer = client_of(app, "collegue")
    assert reviewer.get(f"/teacher/items/{item_id}").status_code == 200
    author.post(f"{url}/members/{other_id}/remove", data={"csrf_token": token,
                                                          "role": "reviewer"})
    assert reviewer.get(f"/teacher/items/{item_id}").status_code == 404
    assert reviewer.get(url).status_code == 404
    with app_db.session() as session:
        assert {m.role for m in banks.members_of(session, bank.id)} == {"author"}


# -- usage history -----------------------------------------------------------------------

def test_the_item_page_shows_where_each_version_was_used_and_how_it_went(
        app: Flask, app_db: Database, world: School) -> None:
    now = utcnow()
    with app_db.session() as session:
        item_id = items.create_item(session, world.school.id, "single_choice", "Capitale",
                                    CHOICE, author_id=world.teacher.id).item_id
        exam = exams.create_exam(session, world.school.id, "Examen de géographie",
                                 world.teacher.id, [item_id])
        sitting = sittings.schedule_sitting(
            session, exam, title="Séance d’automne", opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
            class_id=world.klass.id, author_id=world.teacher.id)
        for student, choice in zip(world.students, ("a", "b"), strict=True):
            attempt = attempts.start_or_resume(session, sitting.id, student.id, now)
            answer_log.save(session, attempt.id, student.id, slot=0, seq=1,
                            response={"choice": choice}, now=now, grace_seconds=2.0)
            attempts.submit(session, attempts.get_attempt(session, attempt.id,
                                                          for_update=True), now, "student", 2.0)
            grading.grade_attempt(session, attempt.id, now)
        unused = items.create_item(session, world.school.id, "true_false", "Jamais servie",
                                   ITEMS[2][1], author_id=world.teacher.id).item_id
    client = client_of(app, world.teacher.username)
    page = client.get(f"/teacher/items/{item_id}").get_data(as_text=True)
    usage = page.split('id="usage"', 1)[1]
    assert "Examen de géographie : version 1, question 1" in usage
    assert "Séance d’autom" in usage and f"/teacher/sittings/{sitting.id}" in usage
    assert "50 % de bonnes réponses (1 sur 2 corrigées)" in usage
    assert '<rect class="bar-fill" x="0" y="0" width="50"' in usage
    assert "2 tentatives ont vu cette question en tout." in usage
    empty = client.get(f"/teacher/items/{unused}").get_data(as_text=True)
    assert "Aucun examen n’utilise encore cette question." in empty
