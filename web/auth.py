"""Logging in and out, the session cookie, API tokens, and loading the caller."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from student_records import service as records
from student_records.models import Person, Role
from web.context import config, unit_of_work
from web.extensions import client_address, limiter

bp = Blueprint("auth", __name__)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def load_caller() -> None:
    """Set ``g.user`` (and ``g.token_id`` for API tokens) for this request."""
    g.user = None
    g.token_id = None
    token = bearer_token()
    if token:
        with unit_of_work() as db:
            found = records.person_for_token(db, token)
        if found:
            g.user, api_token = found
            g.token_id = api_token.id
        return
    person_id = session.get("uid")
    if person_id:
        with unit_of_work() as db:
            person = db.get(Person, person_id)
            if person is not None and person.active and \
                    session.get("pv") == _password_version(person.password_hash):
                _ = person.roles  # loaded while the session is open
                g.user = person
            else:
                session.clear()


def _password_version(password_hash: str | None) -> str:
    # A password change ends every other session of that person.
    return (password_hash or "")[-12:]


def _account_key() -> str:
    return "account:" + (request.form.get("username", "").strip().lower()[:100] or "-")


def _login_limits() -> Any:
    return config().login_limit_per_account


def _address_limits() -> Any:
    return config().login_limit_per_address


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limits, key_func=client_address, methods=["POST"],
               scope="login-address")
@limiter.limit(_login_limits, key_func=_account_key, methods=["POST"], scope="login-account")
def login() -> ResponseReturnValue:
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        with unit_of_work() as db:
            person = records.authenticate(db, username, password)
            if person is not None:
                chosen_language = session.get("lang")  # a choice made before logging in stays
                session.clear()
                session.permanent = True
                session["uid"] = person.id
                session["pv"] = _password_version(person.password_hash)
                session["lang"] = chosen_language or person.locale
                if any(ra.role is not Role.STUDENT for ra in person.roles):
                    records.audit(db, person, "login", "person", person.id,
                                  person.roles[0].organisation_id)
                target = _safe_next(request.args.get("next")) or url_for("home")
                return redirect(target)
        flash(_("Wrong username or password."), "error")
        current_app.logger.info("failed login for %r from %s", username, client_address())
    status = 401 if request.method == "POST" else 200
    return render_template("login.html", username=username,
                           wipe_outbox_for=session.pop("wipe_outbox_for", None)), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    user_id = session.get("uid")
    session.clear()
    # The login page wipes this user's exam outbox from the browser (shared computers).
    session["wipe_outbox_for"] = user_id
    return redirect(url_for("auth.login"))
