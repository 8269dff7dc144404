"""A sitting's integrity settings page: access rules with a Safe Exam Browser settings file,
the integrity policy, the start file; who may read and who may change; bad input kept and
refused with its reason."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from ardoise.db import Database
from proctoring import access, policies, seb
from tests.conftest import Auth
from tests.factories import School, open_sitting
from tests.web.test_item_authoring import csrf

SETTINGS = (Path(__file__).parent.parent / "proctoring" / "settings.xml").read_bytes()
CONFIG_KEY = "2b4d343ffe1a99a022c4627e970cf7290994a9e17fb616673c9ba584f1e8c474"
BROWSER_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def sitting_of(app_db: Database, world: School) -> str:
    with app_db.session() as session:
        return open_sitting(session, world).id


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_teacher_sets_access_rules_with_a_seb_file_and_a_policy(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    sitting_id = sitting_of(app_db, world)
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/sittings/{sitting_id}/integrity")
    assert page.status_code == 200 and "Aucune politique" in text_of(page)
    saved = client.post(f"/teacher/sittings/{sitting_id}/access", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "ip_ranges": "10.20.30.0/24\n192.0.2.9",
        "one_device": "on", "seb_required": "on", "config_keys": "",
        "browser_exam_keys": BROWSER_KEY.upper(),
        "seb_file": (io.BytesIO(seb.compressed(SETTINGS)), "examen.seb")},
        content_type="multipart/form-data")
    assert saved.status_code == 302, text_of(saved)
    with app_db.session() as session:
        rules = access.get_access(session, sitting_id)
        assert rules is not None
        assert rules.ip_ranges == ["10.20.30.0/24", "192.0.2.9/32"]
        assert (rules.one_device, rules.seb_required) == (True, True)
        assert rules.config_keys == [CONFIG_KEY] and rules.browser_exam_keys == [BROWSER_KEY]
    page = client.get(f"/teacher/sittings/{sitting_id}/integrity")
    set_policy = client.post(f"/teacher/sittings/{sitting_id}/policy", data={
        "csrf_token": csrf(page.get_data(as_text=True)),
        "counted": ["tab_hidden", "paste", "copy"], "rule_focus_losses": "4",
        "rule_away_seconds": "45", "rule_copy_paste": "", "warn_student": "on",
        "retention_days": "90"})
    assert set_policy.status_code == 302, text_of(set_policy)
    with app_db.session() as session:
        policy = policies.get_policy(session, sitting_id)
        assert policy is not None and policy.counted == ["copy", "paste", "tab_hidden"]
        assert policy.thresholds == {"focus_losses": 4.0, "away_seconds": 45.0}
        assert (policy.warn_student, policy.pause_on_flag, policy.retention_days) == (
            True, False, 90)
    start = client.get(f"/teacher/sittings/{sitting_id}/start.seb")
    assert start.status_code == 200
    settings = seb.read_settings(start.get_data())
    assert settings["startURL"].endswith("/student/") and settings["sendBrowserExamKey"]


def test_bad_settings_are_refused_with_their_reason_and_kept(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    sitting_id = sitting_of(app_db, world)
    auth.login(world.teacher.username)
    token = csrf(client.get(f"/teacher/sittings/{sitting_id}/integrity").get_data(as_text=True))
    bad_range = client.post(f"/teacher/sittings/{sitting_id}/access", data={
        "csrf_token": token, "ip_ranges": "10.20.30.0/24\n10.300.0.0/16",
        "browser_exam_keys": ""}, content_type="multipart/form-data")
    assert bad_range.status_code == 422
    page = text_of(bad_range)
    assert "réseaux de la salle d’examen" in page and "10.300.0.0/16" in page
    encrypted = client.post(f"/teacher/sittings/{sitting_id}/access", data={
        "csrf_token": token, "ip_ranges": "", "seb_required": "on",
        "seb_file": (io.BytesIO(b"pswd" + b"\0" * 40), "chiffre.seb")},
        content_type="multipart/form-data")
    assert encrypted.status_code == 422 and "est chiffré" in text_of(encrypted)
    never = client.post(f"/teacher/sittings/{sitting_id}/policy", data={
        "csrf_token": token, "counted": ["paste"], "rule_focus_losses": "3",
        "retention_days": "30"})
    assert never.status_code == 422
    assert 'id="rule_focus_losses" name="rule_focus_losses" inputmode="decimal" class="short" ' \
           'value="3"' in never.get_data(as_text=True)
    with app_db.session() as session:
        assert access.get_access(session, sitting_id) is None
        assert policies.get_policy(session, sitting_id) is None


def test_proctors_read_teachers_change_strangers_see_nothing(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    sitting_id = sitting_of(app_db, world)
    auth.login(world.proctor.username)
    page = client.get(f"/teacher/sittings/{sitting_id}/integrity")
    assert page.status_code == 200 and 'id="save-policy"' not in page.get_data(as_text=True)
    refused = client.post(f"/teacher/sittings/{sitting_id}/policy", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "counted": ["paste"],
        "retention_days": "30"})
    assert refused.status_code == 403
    auth.client.post("/logout", data={"csrf_token": auth.csrf("/teacher/")})
    auth.login(other_world.teacher.username)
    assert client.get(f"/teacher/sittings/{sitting_id}/integrity").status_code == 404
    assert client.get(f"/teacher/sittings/{sitting_id}/start.seb").status_code == 404
