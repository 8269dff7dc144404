"""Login, logout, CSRF, rate limiting, tokens and role checks on pages."""

import html

from flask.testing import FlaskClient

from ardoise.db import Database
from student_records import service as records
from tests.conftest import Auth
from tests.factories import School


def test_login_and_home_by_role(auth: Auth, client: FlaskClient, world: School) -> None:
    response = auth.login(world.students[0].username)
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/student/")
    client.post("/logout", data={"csrf_token": auth.csrf("/student/")})
    auth.login(world.teacher.username)
    assert client.get("/").headers["Location"].endswith("/teacher/")


def test_wrong_password_keeps_the_username(auth: Auth, world: School) -> None:
    response = auth.login(world.teacher.username, "wrong-password")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect." in page
    assert f'value="{world.teacher.username}"' in page


def test_post_without_csrf_is_refused(client: FlaskClient, world: School) -> None:
    response = client.post("/login", data={"username": world.teacher.username,
                                           "password": "correct-horse-9"})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


def test_login_rate_limited_per_account(auth: Auth, world: School) -> None:
    for _ in range(5):
        assert auth.login(world.teacher.username, "wrong-password").status_code == 401
    blocked = auth.login(world.teacher.username)  # even the right password waits
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this account's failures.
    assert auth.login(world.students[0].username).status_code == 302


def test_logout_asks_the_page_to_wipe_the_outbox(auth: Auth, client: FlaskClient,
                                                 world: School) -> None:
    auth.login(world.students[0].username)
    client.post("/logout", data={"csrf_token": auth.csrf("/student/")})
    page = client.get("/login").get_data(as_text=True)
    assert f'data-user-id="{world.students[0].id}"' in page
    assert "outbox-wipe" not in client.get("/login").get_data(as_text=True)


def test_students_cannot_open_staff_pages(auth: Auth, client: FlaskClient, world: School) -> None:
    auth.login(world.students[0].username)
    for path in ("/teacher/", "/teacher/items/new", "/admin/"):
        assert client.get(path).status_code == 403


def test_anonymous_pages_redirect_and_api_answers_401(client: FlaskClient) -> None:
    assert client.get("/student/").status_code == 302
    response = client.get("/api/v1/sittings")
    assert response.status_code == 401
    assert response.json["error"] == "unauthenticated" and response.json["message"]


def test_api_token_and_revocation(client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        token, clear = records.create_token(session, world.students[0])
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/sittings", headers=headers).status_code == 200
    assert client.get("/api/v1/sittings",
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    with app_db.session() as session:
        records.revoke_token(session, session.merge(token))
    assert client.get("/api/v1/sittings", headers=headers).status_code == 401


def test_password_change_ends_other_sessions(auth: Auth, client: FlaskClient, app_db: Database,
                                             world: School) -> None:
    auth.login(world.teacher.username)
    assert client.get("/teacher/").status_code == 200
    with app_db.session() as session:
        records.set_password(records.get_person(session, world.teacher.id), "new-password-1")
    assert client.get("/teacher/").status_code == 302


def test_admin_reads_the_audit_log(auth: Auth, client: FlaskClient, world: School) -> None:
    auth.login(world.teacher.username)
    client.post("/logout", data={"csrf_token": auth.csrf("/teacher/")})
    auth.login(world.admin.username)
    page = client.get("/admin/").get_data(as_text=True)
    assert "login" in page and world.teacher.username in page
