"""Locale and time-zone selection, the language switch and time formatting for templates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, Flask, g, redirect, request, session, url_for
from flask_babel import format_datetime, get_locale
from werkzeug.wrappers import Response

from ardoise.clock import as_utc, iso
from web.context import config
from web.extensions import babel

LOCALES = ("fr", "en")
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LOCALES:
        return str(chosen)
    user = g.get("user")
    if user is not None and user.locale in LOCALES:
        return str(user.locale)
    return request.accept_languages.best_match(LOCALES) or "fr"


def select_timezone() -> str:
    return config().timezone


@bp.route("/lang/<code>", methods=["POST", "GET"])
def switch(code: str) -> Response:
    if code in LOCALES:
        session["lang"] = code
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home")
    return redirect(target)


def local_time(value: datetime | None, style: str = "medium") -> str:
    """A time in ARDOISE_TIMEZONE, daylight saving included, in the current language."""
    if value is None:
        return "—"
    return format_datetime(as_utc(value), style)


def init_app(app: Flask) -> None:
    translations = Path(__file__).parent / "translations"
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_locale="fr", default_translation_directories=str(translations))
    app.register_blueprint(bp)
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "fr")
    app.jinja_env.globals["locales"] = LOCALES
