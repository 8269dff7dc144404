"""A confidential bank's items reach nobody but its members: pages, exam forms, search."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from ardoise.db import Database
from item_bank import banks, workflow
from item_bank import service as items
from item_bank.workflow import ItemStatus
from student_records import service as records
from student_records.models import Role
from tests.conftest import Auth
from tests.factories import ITEMS, PASSWORD, School

SECRET_STEM = "Épreuve ministérielle secrète"


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def ministry_item(app_db: Database, world: School) -> tuple[str, str]:
    """A confidential item authored by the world's teacher, and a colleague's username."""
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
        name, content = ITEMS[0]
        version = items.create_item(session, world.school.id, name, "Secret",
                                    {**content, "stem": {"fr": SECRET_STEM}},
                                    author_id=world.teacher.id, bank_id=bank.id)
        colleague = records.create_person(session, "collegue", password=PASSWORD,
                                          given_name="C", family_name="T")
        records.assign_role(session, colleague, Role.TEACHER, world.school)
        return version.item_id, colleague.username


def test_a_colleague_outside_the_bank_gets_nothing_of_its_items(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    item_id, colleague = ministry_item(app_db, world)
    auth.login(colleague)
    listing = client.get("/teacher/items").get_data(as_text=True)
    assert "Secret" not in listing and item_id not in listing
    assert client.get(f"/teacher/items/{item_id}").status_code == 404
    form = client.get("/teacher/exams/new").get_data(as_text=True)
    assert item_id not in form and SECRET_STEM not in form
    posted = client.post("/teacher/exams/new", data={
        "csrf_token": csrf(form), "title": "Vol", "item_ids": [item_id],
        "school_id": world.school.id})
    assert posted.status_code == 422


def test_the_banks_member_sees_and_uses_them(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    item_id, _ = ministry_item(app_db, world)
    auth.login(world.teacher.username)
    assert "Secret" in client.get("/teacher/items").get_data(as_text=True)
    page = client.get(f"/teacher/items/{item_id}")
    assert page.status_code == 200 and SECRET_STEM in page.get_data(as_text=True)
    form = client.get("/teacher/exams/new").get_data(as_text=True)
    assert item_id in form
    data = {"csrf_token": csrf(form), "title": "Vol", "item_ids": [item_id],
            "school_id": world.school.id}
    # Not before a reviewer of the bank published it: a ministry item is reviewed first.
    refused = client.post("/teacher/exams/new", data=data)
    assert refused.status_code == 422
    assert "n’est pas encore publiée" in refused.get_data(as_text=True)
    with app_db.session() as session:
        banks.add_member(session, items.get_item(session, item_id).bank_id or "",
                         world.grader.id, banks.BankRole.REVIEWER, world.teacher.id)
        for status in (ItemStatus.REVIEWED, ItemStatus.PUBLISHED):
            workflow.change_status(session, item_id, status, world.grader.id)
    posted = client.post("/teacher/exams/new", data=data)  # the very form refused to others
    assert posted.status_code == 302, posted.get_data(as_text=True)[-2000:]


def test_a_student_gets_no_item_page(client: FlaskClient, auth: Auth, app_db: Database,
                                     world: School) -> None:
    item_id, _ = ministry_item(app_db, world)
    auth.login(world.students[0].username)
    assert client.get(f"/teacher/items/{item_id}").status_code in (403, 404)
    assert SECRET_STEM not in client.get("/teacher/items").get_data(as_text=True)


def test_the_api_searches_and_reads_only_what_the_banks_allow(
        app: Flask, app_db: Database, world: School) -> None:
    item_id, colleague = ministry_item(app_db, world)

    def client_of(username: str) -> FlaskClient:
        client = app.test_client()
        Auth(client).login(username)
        return client

    member = client_of(world.teacher.username)
    found = member.get("/api/v1/items", query_string={"q": "ministerielle"}).json
    assert [i["id"] for i in found["items"]] == [item_id]
    whole = member.get(f"/api/v1/items/{item_id}")
    assert whole.status_code == 200 and whole.json["content"]["correct"] == "a"
    by_type = member.get("/api/v1/items", query_string={"type": "numeric"}).json["items"]
    assert by_type and all(i["type"] == "numeric" for i in by_type)
    assert member.get("/api/v1/items", query_string={"difficulty": "x"}).status_code == 422
    other = client_of(colleague)
    assert other.get("/api/v1/items", query_string={"q": "ministerielle"}).json == {
        "items": []}
    hidden = other.get(f"/api/v1/items/{item_id}")
    assert hidden.status_code == 404 and hidden.json["error"] == "item_not_found"
    student = client_of(world.students[0].username)
    assert student.get("/api/v1/items").status_code == 403
    assert student.get(f"/api/v1/items/{item_id}").status_code == 404


def test_the_item_page_shows_versions_what_changed_and_the_review_workflow(
        app: Flask, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Banque", True, world.teacher.id)
        reviewer = records.create_person(session, "reviseure", password=PASSWORD,
                                         given_name="R", family_name="T")
        records.assign_role(session, reviewer, Role.TEACHER, world.school)
        banks.add_member(session, bank.id, reviewer.id, banks.BankRole.REVIEWER,
                         by_person_id=world.teacher.id)
        name, content = ITEMS[2]
        item_id = items.create_item(session, world.school.id, name, "Vrai ou faux", content,
                                    author_id=world.teacher.id, bank_id=bank.id).item_id
        items.revise_item(session, item_id, {**content, "stem": {"fr": "2 + 2 = 4"}})

    def client_of(username: str) -> FlaskClient:
        client = app.test_client()
        Auth(client).login(username)
        return client

    author = client_of(world.teacher.username)
    page = author.get(f"/teacher/items/{item_id}").get_data(as_text=True)
    assert "Version 2," in page and "Version 1," in page
    assert '<span class="added">+' in page and "2 + 2 = 4" in page
    assert '<span class="removed">-' in page and "1 + 1 = 2" in page
    token = csrf(page)
    refused = author.post(f"/teacher/items/{item_id}/status",
                          data={"csrf_token": token, "status": "reviewed"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Seul un réviseur" in refused and "Brouillon" in refused
    checker = client_of("reviseure")
    token = csrf(checker.get(f"/teacher/items/{item_id}").get_data(as_text=True))
    for status in ("reviewed", "published"):
        done = checker.post(f"/teacher/items/{item_id}/status",
                            data={"csrf_token": token, "status": status},
                            follow_redirects=True).get_data(as_text=True)
        assert "Statut changé" in done
    assert "Publiée" in done
    with app_db.session() as session:
        item = items.get_item(session, item_id)
        assert (item.status, item.reviewed_by) == ("published", reviewer.id)
    outsider = client_of(world.students[0].username)
    assert outsider.post(f"/teacher/items/{item_id}/status",
                         data={"csrf_token": token, "status": "retired"}).status_code in (
        400, 403, 404)
