"""The bulk import page: upload, the import task (in this process, as in the embedded
default), progress, the result and the error; and who may see an import."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ardoise.config import Config
from ardoise.db import Database
from item_bank import banks
from item_bank.bulk_import import progress_path, read_progress, run_import
from item_bank.interop.detect import parse
from item_bank.models import Item, ItemImport
from tests.conftest import Auth
from tests.factories import School, make_school
from tests.interop.conftest import sample, zipped
from tests.services import fresh_pg_database, worker_id
from web import create_app

QTI_ITEMS = len(parse(zipped("qti3_package"), "sciences.zip").items)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def items_of(app_db: Database, organisation_id: str) -> int:
    with app_db.session() as session:
        return session.scalar(select(func.count()).select_from(Item).where(
            Item.organisation_id == organisation_id)) or 0


def upload(client: FlaskClient, data: bytes, filename: str, **fields: Any) -> Any:
    token = csrf(client.get("/teacher/imports/new").get_data(as_text=True))
    form = {"csrf_token": token, "file": (io.BytesIO(data), filename), **fields}
    return client.post("/teacher/imports", data=form, content_type="multipart/form-data")


def finished(client: FlaskClient, location: str) -> dict[str, Any]:
    """Poll the page's progress endpoint, as its script does, until the import ends."""
    seen: list[dict[str, Any]] = []
    for _ in range(600):
        answer = client.get(location + "/progress")
        assert answer.status_code == 200
        seen.append(answer.json)
        if answer.json["status"] in ("done", "failed"):
            return {**answer.json, "seen": seen}
        time.sleep(0.05)
    raise AssertionError(f"the import did not end: {seen[-3:]}")


def test_a_qti_package_imports_with_progress_and_lists_its_items(
        client: FlaskClient, auth: Auth, app: Flask, app_db: Database, world: School) -> None:
    before = items_of(app_db, world.school.id)
    auth.login(world.teacher.username)
    sent = upload(client, zipped("qti3_package"), "sciences.zip",
                  organisation_id=world.school.id, language="fr")
    assert sent.status_code == 302
    location = sent.headers["Location"]
    end = finished(client, location)
    assert end["status"] == "done" and end["done"] == end["total"] == QTI_ITEMS
    assert all(p["done"] <= p["total"] or p["total"] == 0 for p in end["seen"])
    assert items_of(app_db, world.school.id) == before + QTI_ITEMS
    page = client.get(location).get_data(as_text=True)
    assert 'id="imported-items"' in page
    with app_db.session() as session:
        job = session.scalars(select(ItemImport)).one()
        assert job.result is not None and job.result["imported"] == QTI_ITEMS
        for entry in job.result["items"]:
            assert f'/teacher/items/{entry["id"]}"' in page
        # The package's test became an exam of its questions.
        [exam] = job.result["exams"]
        assert exam["new"] and exam["items"] == 5  # the five the test names
        assert f'/teacher/sittings/new?exam_id={exam["id"]}' in page
        assert job.finished_at is not None and job.created_by == world.teacher.id
    # The upload is not kept once the import ended.
    upload_file = Path(app.extensions["ardoise.config"].data_dir) / "imports" / job.id
    assert not upload_file.exists() and not progress_path(upload_file).exists()


def test_a_malformed_file_writes_nothing_and_names_the_file_the_item_and_the_reason(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    before = items_of(app_db, world.school.id)
    auth.login(world.teacher.username)
    sent = upload(client, sample("malformed_moodle.xml"), "histoire.xml",
                  organisation_id=world.school.id)
    end = finished(client, sent.headers["Location"])
    assert end["status"] == "failed"
    assert items_of(app_db, world.school.id) == before  # the valid first item is not kept
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="import-error"' in page and "Rien n’a été importé" in page
    assert "histoire.xml" in page and "Fondateur sans bonne réponse" in page
    with app_db.session() as session:
        error = session.scalars(select(ItemImport)).one().error
    assert error is not None and error["params"]["item"] == "Fondateur sans bonne réponse"
    assert error["params"]["reason"] in page


def test_skip_unsupported_imports_the_rest_and_says_why_the_others_were_skipped(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    refused = finished(client, upload(client, sample("moodle_unsupported.xml"), "sciences.xml",
                                      organisation_id=world.school.id).headers["Location"])
    assert refused["status"] == "failed"
    sent = upload(client, sample("moodle_unsupported.xml"), "sciences.xml",
                  organisation_id=world.school.id, skip_unsupported="on")
    end = finished(client, sent.headers["Location"])
    assert end["status"] == "done" and end["done"] >= 1
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="skipped-items"' in page and "Vitesse calculée" in page


def test_a_dry_run_checks_everything_and_writes_no_item(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    before = items_of(app_db, world.school.id)
    auth.login(world.teacher.username)
    sent = upload(client, zipped("qti3_package"), "sciences.zip",
                  organisation_id=world.school.id, dry_run="on")
    end = finished(client, sent.headers["Location"])
    assert end["status"] == "done" and end["done"] == QTI_ITEMS
    assert items_of(app_db, world.school.id) == before
    assert "rien n’a été écrit" in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_imports_go_into_a_bank_the_teacher_authors_only(
        client: FlaskClient, auth: Auth, app_db: Database, world: School,
        other_world: School) -> None:
    with app_db.session() as session:
        mine = banks.create_bank(session, world.school.id, "Sciences", True, world.teacher.id)
        theirs = banks.create_bank(session, other_world.school.id, "Ailleurs", False,
                                   other_world.teacher.id)
        secret = banks.create_bank(session, world.school.id, "Ministère", True, None)
    auth.login(world.teacher.username)
    form = client.get("/teacher/imports/new").get_data(as_text=True)
    assert mine.id in form and theirs.id not in form and secret.id not in form
    for bank_id in (theirs.id, secret.id):
        refused = upload(client, zipped("qti3_package"), "sciences.zip", bank_id=bank_id)
        assert refused.status_code == 422
        assert 'name="skip_unsupported"' in refused.get_data(as_text=True)
    sent = upload(client, zipped("qti3_package"), "sciences.zip", bank_id=mine.id,
                  skip_unsupported="on")
    assert finished(client, sent.headers["Location"])["status"] == "done"
    with app_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Item).where(
            Item.bank_id == mine.id)) == QTI_ITEMS
    with app_db.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemImport)) == 1


def test_a_form_without_a_file_is_refused_and_keeps_the_options(
        client: FlaskClient, auth: Auth, world: School) -> None:
    auth.login(world.teacher.username)
    token = csrf(client.get("/teacher/imports/new").get_data(as_text=True))
    answer = client.post("/teacher/imports", data={
        "csrf_token": token, "organisation_id": world.school.id, "dry_run": "on",
        "skip_unsupported": "on", "language": "en"}, content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Choisissez un fichier à importer." in page
    assert re.search(r'name="dry_run" checked', page)
    assert re.search(r'name="skip_unsupported" checked', page)
    assert '<option value="en" selected>' in page


def test_nobody_else_sees_an_import(app: Flask, app_db: Database, world: School,
                                    other_world: School) -> None:
    def client_of(username: str) -> FlaskClient:
        client = app.test_client()
        Auth(client).login(username)
        return client

    teacher = client_of(world.teacher.username)
    location = upload(teacher, zipped("qti3_package"), "sciences.zip",
                      organisation_id=world.school.id).headers["Location"]
    finished(teacher, location)
    for outsider in (other_world.teacher.username, world.students[0].username):
        other = client_of(outsider)
        assert other.get(location).status_code in (403, 404)
        assert other.get(location + "/progress").status_code in (403, 404)
    student = client_of(world.students[0].username)
    assert student.get("/teacher/imports/new").status_code == 403
    token = csrf(student.get("/login").get_data(as_text=True))
    assert student.post("/teacher/imports", data={
        "csrf_token": token, "file": (io.BytesIO(b"x"), "x.gift")},
        content_type="multipart/form-data").status_code == 403
    # A teacher of another school cannot put items into this school.
    other = client_of(other_world.teacher.username)
    refused = upload(other, zipped("qti3_package"), "sciences.zip",
                     organisation_id=world.school.id)
    assert refused.status_code == 422


def test_the_task_reports_progress_to_the_total_and_runs_once(
        app_db: Database, world: School, tmp_path: Path) -> None:
    """The task itself, called as a worker calls it: a progress file while it runs, the
    row at the end; delivered twice, it does not import twice."""
    with app_db.session() as session:
        job = ItemImport(organisation_id=world.school.id, created_by=world.teacher.id,
                         filename="sciences.zip")
        session.add(job)
        session.flush()
        import_id = job.id
    upload_file = tmp_path / "imports" / import_id
    upload_file.parent.mkdir()
    upload_file.write_bytes(zipped("qti3_package"))
    before = items_of(app_db, world.school.id)
    run_import(app_db, import_id, upload_file)
    with app_db.session() as session:
        done = session.get(ItemImport, import_id)
        assert done is not None
        assert (done.status, done.done, done.total) == ("done", QTI_ITEMS, QTI_ITEMS)
    assert read_progress(upload_file) is None and not upload_file.exists()
    run_import(app_db, import_id, upload_file)  # redelivered: nothing more
    assert items_of(app_db, world.school.id) == before + QTI_ITEMS


def test_on_postgresql_without_a_broker_the_import_runs_beside_the_page(
        pg_template: str, tmp_path: Path) -> None:
    """No broker and PostgreSQL: the task runs in a thread of the web process, and the
    page's progress endpoint answers while it runs (SQLite runs it within the upload)."""
    url = fresh_pg_database(f"ardoise_t_{worker_id()}", template=pg_template)
    application = create_app(Config(data_dir=tmp_path, database_url=url,
                                    secret_key="test-secret"))
    application.config.update(TESTING=True)
    database: Database = application.extensions["ardoise.db"]
    try:
        with database.session() as session:
            world = make_school(session, students=1)
        client = application.test_client()
        Auth(client).login(world.teacher.username)
        sent = upload(client, zipped("qti3_package"), "sciences.zip",
                      organisation_id=world.school.id)
        assert sent.status_code == 302
        end = finished(client, sent.headers["Location"])
        assert end["status"] == "done" and end["done"] == end["total"] == QTI_ITEMS
        with database.session() as session:
            job = session.scalars(select(ItemImport)).one()
            assert job.result is not None and job.result["imported"] == QTI_ITEMS
    finally:
        database.dispose()
