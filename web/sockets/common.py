"""What the Socket.IO namespaces share: who is connecting."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from ardoise.db import Database
from student_records import service as records
from student_records.models import Person
from web.auth import load_caller
from web.i18n import select_locale


def authenticate(app: Flask, database: Database, environ: dict[str, Any], auth: Any
                 ) -> tuple[Person | None, str | None, str]:
    """The person a connection speaks for, from ``auth={"token": ...}`` (a scripted
    client; a token is its own device) or the web session cookie; with the token's device
    id (None for a browser) and the person's interface language."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        with database.session() as session:
            found = records.person_for_token(session, auth["token"])
        if not found:
            return None, None, "fr"
        person, token = found
        return person, f"token:{token.id}", person.locale
    with app.request_context(environ):
        load_caller()
        return g.get("user"), None, select_locale()
