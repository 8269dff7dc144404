"""Item images: upload checks, who may see a file, and rich texts on the pages that show them."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Invalid
from exam_engine import attempts, exams, sittings
from exam_engine.models import DisplayMode, Sitting
from item_bank import banks, media
from item_bank import service as items
from item_bank.registry import default_registry
from student_records import service as records
from student_records.models import Role
from tests.conftest import Auth
from tests.essays import essay_sitting
from tests.factories import PASSWORD, School
from web.teacher.preview import student_views


def png(seed: int = 0) -> bytes:
    """A real 2×2 PNG whose pixels depend on ``seed``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([seed % 256, 40, 200]) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def data_dir(app: Flask) -> Path:
    return Path(app.extensions["ardoise.config"].data_dir)


def token(client: FlaskClient) -> str:
    page = client.get("/teacher/items/new?type=single_choice").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def upload(client: FlaskClient, school_id: str, data: bytes, filename: str = "image.png"
           ) -> TestResponse:
    return client.post("/media/upload", data={"school_id": school_id,
                                              "file": (BytesIO(data), filename)},
                       headers={"X-CSRFToken": token(client)},
                       content_type="multipart/form-data")


def item_with_image(app_db: Database, world: School, url: str, bank_id: str | None = None,
                    stem: str = "Quelle figure?") -> str:
    with app_db.session() as session:
        version = items.create_item(
            session, world.school.id, "single_choice", "Figure",
            {"stem": {"fr": f"{stem}\n\n![Un triangle rectangle]({url})"},
             "options": [{"id": "a", "text": {"fr": "Triangle"}},
                         {"id": "b", "text": {"fr": "Carré"}}], "correct": "a"},
            author_id=world.teacher.id, bank_id=bank_id)
        return version.item_id


def sitting_of(app_db: Database, world: School, item_id: str) -> Sitting:
    with app_db.session() as session:
        exam = exams.create_exam(session, world.school.id, "Figures", world.teacher.id, [item_id])
        now = utcnow()
        return sittings.schedule_sitting(
            session, exam, title="Figures", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=2), time_limit_seconds=3600,
            class_id=world.klass.id, display_mode=DisplayMode.ALL_ON_ONE,
            author_id=world.teacher.id)


def stored(client: FlaskClient, auth: Auth, world: School, seed: int = 1) -> str:
    auth.login(world.teacher.username)
    answer = upload(client, world.school.id, png(seed))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(client)})
    return str(answer.json["url"])


def test_a_teacher_uploads_an_image_stored_by_its_content(
        app: Flask, client: FlaskClient, auth: Auth, world: School) -> None:
    auth.login(world.teacher.username)
    image = png(7)
    answer = upload(client, world.school.id, image, "photo.PNG")
    assert answer.status_code == 201
    digest = hashlib.sha256(image).hexdigest()
    assert answer.json == {"url": f"/media/{world.school.id}/{digest}.png",
                           "name": f"{digest}.png", "content_type": "image/png",
                           "size": len(image)}
    on_disk = data_dir(app) / "media" / world.school.id / f"{digest}.png"
    assert on_disk.read_bytes() == image
    assert upload(client, world.school.id, image).json["url"] == answer.json["url"]
    assert sorted(p.name for p in on_disk.parent.iterdir()) == [f"{digest}.png"]

    shown = client.get(answer.json["url"])
    assert shown.status_code == 200 and shown.data == image
    assert shown.headers["Content-Type"] == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Content-Disposition"] == f'inline; filename="{digest}.png"'
    assert shown.headers["Cache-Control"] == "private, max-age=300"
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("data", "code"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "media_kind"),
    (b"<html><script>alert(1)</script></html>", "media_kind"),
    (b"GIF8", "media_kind"),
    (b"", "media_empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (media.MAX_MEDIA_BYTES), "media_too_large"),
])
def test_uploads_that_are_not_small_images_are_refused(
        app: Flask, client: FlaskClient, auth: Auth, world: School, data: bytes,
        code: str) -> None:
    auth.login(world.teacher.username)
    client.get("/lang/fr")
    answer = upload(client, world.school.id, data, "disguised.png")
    assert answer.status_code == 422
    assert answer.json["error"] == code and answer.json["message"]
    assert not (data_dir(app) / "media" / world.school.id).exists() or \
        not any((data_dir(app) / "media" / world.school.id).iterdir())


def test_only_a_schools_teachers_upload_for_it(
        client: FlaskClient, auth: Auth, world: School, other_world: School) -> None:
    auth.login(world.teacher.username)
    assert upload(client, other_world.school.id, png()).status_code == 403
    no_token = client.post("/media/upload", data={"school_id": world.school.id,
                                                  "file": (BytesIO(png()), "a.png")},
                           content_type="multipart/form-data")
    assert no_token.status_code == 400
    client.post("/logout", data={"csrf_token": token(client)})
    auth.login(world.students[0].username)
    answer = client.post("/media/upload", data={"school_id": world.school.id,
                                                "file": (BytesIO(png()), "a.png")},
                         content_type="multipart/form-data")
    assert answer.status_code in (400, 403)


def test_a_teacher_of_another_school_and_strangers_get_nothing(
        client: FlaskClient, auth: Auth, app_db: Database, world: School,
        other_world: School) -> None:
    url = stored(client, auth, world)
    item_with_image(app_db, world, url)
    assert client.get(url).status_code == 404  # nobody logged in
    auth.login(other_world.teacher.username)
    assert client.get(url).status_code == 404
    # Names that are not content addresses, and paths out of the folder, are not files.
    org = world.school.id
    for wrong in (f"/media/{org}/..%2F..%2Fardoise.db", f"/media/{org}/abc.png",
                  f"/media/..%2F{org}/{url.rsplit('/', 1)[1]}",
                  url.replace(".png", ".svg")):
        assert client.get(wrong).status_code == 404


def test_graders_and_admins_of_the_school_see_its_images(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    url = stored(client, auth, world)
    item_with_image(app_db, world, url)
    for person in (world.grader, world.admin):
        auth.login(person.username)
        assert client.get(url).status_code == 200
        client.post("/logout", data={"csrf_token": token(client)})


def test_a_confidential_banks_image_is_for_its_members_only(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    url = stored(client, auth, world)
    with app_db.session() as session:
        colleague = records.create_person(session, "collegue", password=PASSWORD,
                                          given_name="C", family_name="T")
        records.assign_role(session, colleague, Role.TEACHER, world.school)
    auth.login("collegue")
    assert client.get(url).status_code == 200  # uploaded, in no item yet: the school's
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.teacher.id)
        bank_id = bank.id
    item_with_image(app_db, world, url, bank_id=bank_id)
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": token(client)})
    auth.login(world.teacher.username)
    assert client.get(url).status_code == 200
    # The same image in an item the colleague may see is theirs to see again.
    client.post("/logout", data={"csrf_token": token(client)})
    item_with_image(app_db, world, url)
    auth.login("collegue")
    assert client.get(url).status_code == 200


def test_a_student_sees_an_image_only_through_their_own_attempt(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    url = stored(client, auth, world)
    unrelated = stored(client, auth, world, seed=2)
    sitting = sitting_of(app_db, world, item_with_image(app_db, world, url))
    first, second = world.students
    auth.login(first.username)
    assert client.get(url).status_code == 404  # not started: nothing yet
    with app_db.session() as session:
        attempt = attempts.start_or_resume(session, sitting.id, first.id, utcnow())
        attempt_id = attempt.id
    shown = client.get(url)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"
    assert client.get(unrelated).status_code == 404  # the school's, not in this exam
    client.post("/logout", data={"csrf_token": token(client)})
    auth.login(second.username)
    assert client.get(url).status_code == 404  # a classmate who has not started
    client.post("/logout", data={"csrf_token": token(client)})

    with app_db.session() as session:
        attempts.submit(session, attempts.get_attempt(session, attempt_id), utcnow(),
                        "student", 5.0)
    auth.login(first.username)
    assert client.get(url).status_code == 404  # submitted, results not released
    with app_db.session() as session:
        held = session.get(Sitting, sitting.id)
        assert held is not None
        sittings.release_results(session, held, utcnow())
    assert client.get(url).status_code == 200


def test_the_exam_page_receives_sanitised_html_with_math_and_no_key(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    url = stored(client, auth, world)
    item_id = item_with_image(
        app_db, world, url,
        stem='Soit $x^2 + 1$ <script>alert("vol")</script> **vite** <b onclick="x()">b</b>')
    sitting = sitting_of(app_db, world, item_id)
    auth.login(world.students[0].username)
    with app_db.session() as session:
        attempt_id = attempts.start_or_resume(session, sitting.id, world.students[0].id,
                                              utcnow()).id
    page = client.get(f"/exam/{attempt_id}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="exam-data">(.*?)</script>', page,
                      re.S)
    assert found
    data = json.loads(found.group(1))
    (slot,) = data["slots"]
    stem = slot["render"]["stem"]["fr"]
    assert '<span class="math inline">x^2 + 1</span>' in stem
    assert "<strong>vite</strong>" in stem and "<b>b</b>" in stem
    assert f'<img src="{url}" alt="Un triangle rectangle">' in stem
    assert "alert" not in stem and "onclick" not in stem and "<script" not in stem
    assert "correct" not in json.dumps(slot["render"])
    api = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert api is not None and api["slots"][0]["render"] == slot["render"]


def test_an_item_with_an_image_without_description_is_not_saved(
        client: FlaskClient, auth: Auth, app_db: Database, world: School) -> None:
    url = stored(client, auth, world)
    with app_db.session() as session, pytest.raises(Invalid) as refused:
        items.create_item(session, world.school.id, "single_choice", "Sans texte",
                          {"stem": {"fr": "Voir"}, "correct": "a",
                           "options": [{"id": "a", "text": {"fr": f"![]({url})"}},
                                       {"id": "b", "text": {"fr": "Non"}}]})
    assert refused.value.params["field"] == "options"
    auth.login(world.teacher.username)
    client.get("/lang/fr")
    form = {"csrf_token": token(client), "type": "single_choice", "title": "Sans texte",
            "stem_fr": f"Regardez ![ ]({url})", "points": "1", "option0_fr": "Oui",
            "option1_fr": "Non", "correct": "a", "action": "save"}
    answer = client.post("/teacher/items/new", data=form)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Chaque image doit avoir un texte de remplacement (champ : énoncé)." in page
    assert f"Regardez ![ ]({url})" in page  # what was typed is kept
    with app_db.session() as session:
        assert all(i.title != "Sans texte" for i in items.items_of(session, {world.school.id}))


def test_the_teachers_preview_shows_the_rich_text(
        client: FlaskClient, auth: Auth, world: School) -> None:
    url = stored(client, auth, world)
    auth.login(world.teacher.username)
    form = {"csrf_token": token(client), "type": "single_choice", "title": "Aperçu",
            "stem_fr": f"Aire: $\\frac{{a}}{{2}}$ <script>alert(1)</script>\n\n![Un carré]({url})",
            "points": "1", "option0_fr": "**Oui**", "option1_fr": "$x$", "correct": "a",
            "action": "preview"}
    page = client.post("/teacher/items/new", data=form).get_data(as_text=True)
    preview = page[page.index('id="preview"'):]
    assert '<span class="math inline">\\frac{a}{2}</span>' in preview
    assert f'<img src="{url}" alt="Un carré">' in preview
    assert "<strong>Oui</strong>" in preview and "alert(1)" not in preview
    assert "build/rich.js" in page and "build/rich.css" in page


def test_structured_texts_keep_their_gaps_and_spans_with_markdown(app: Flask) -> None:
    registry = default_registry()
    cloze = registry.get("inline_choice")
    content = cloze.validate({
        "text": {"fr": "**Soit** {{g_1}} et $x^2$ puis {{_g2_}}.\n\n![Un cercle](/media/o/c.png)"},
        "gaps": [{"id": "g_1", "correct": "a", "options": [{"id": "a", "text": "*un*"},
                                                            {"id": "b", "text": "$y$"}]},
                 {"id": "_g2_", "correct": "a", "options": [{"id": "a", "text": "oui"},
                                                             {"id": "b", "text": "non"}]}]})
    with app.test_request_context():
        view = student_views(cloze, content)[0]
        parts = view.cloze()
    assert [p["gap"]["id"] for p in parts if "gap" in p] == ["g_1", "_g2_"]
    html = "".join(str(p.get("html", "<select/>")) for p in parts)
    assert html.startswith("<p><strong>Soit</strong> <select/> et <span class=\"math inline\">")
    assert "<select/>.</p>" in html and '<img src="/media/o/c.png" alt="Un cercle">' in html
    assert "{{" not in html
    assert view.plain(parts[1]["gap"]["options"][0]["text"]) in ("un", "y")

    hot = registry.get("hot_text")
    content = hot.validate({"stem": "Choisissez", "correct": ["s1"],
                            "passage": {"fr": "Le *chat* [[s1:**mange**]] une [[s2:$x$]]."}})
    with app.test_request_context():
        view = student_views(hot, content)[0]
    assert view.passage() == [{"text": "Le <em>chat</em> "},
                              {"id": "s1", "text": "<strong>mange</strong>"},
                              {"text": " une "},
                              {"id": "s2", "text": '<span class="math inline">x</span>'},
                              {"text": "."}]


def test_the_marking_sheet_shows_the_stem_and_rubric_as_rich_text(
        client: FlaskClient, auth: Auth, app_db: Database) -> None:
    with app_db.session() as session:
        made = essay_sitting(session)
    auth.login(made.world.teacher.username)
    page = client.get(f"/teacher/sittings/{made.sitting.id}/marking").get_data(as_text=True)
    assert '<div class="stem rich"><p>Décrivez le fleuve.</p></div>' in page
    assert '<div class="rich"><p>3 idées, 1 point chacune</p></div>' in page
    assert "build/rich.js" in page and "build/rich.css" in page


def test_a_teacher_uploads_a_bounded_number_of_images(
        app: Flask, client: FlaskClient, auth: Auth, world: School) -> None:
    auth.login(world.teacher.username)
    csrf_token = token(client)
    answers = [client.post("/media/upload", data={"school_id": world.school.id,
                                                  "file": (BytesIO(png(n)), "a.png")},
                           headers={"X-CSRFToken": csrf_token},
                           content_type="multipart/form-data").status_code
               for n in range(101)]
    assert answers[:100] == [201] * 100 and answers[100] == 429
    assert len(list((data_dir(app) / "media" / world.school.id).iterdir())) == 100
