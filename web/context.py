"""Per-request access to the database, the configuration and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from flask import current_app, g
from sqlalchemy.orm import Session

from ardoise.config import Config
from ardoise.db import Database
from student_records.models import Person


def database() -> Database:
    return cast(Database, current_app.extensions["ardoise.db"])


def config() -> Config:
    return cast(Config, current_app.extensions["ardoise.config"])


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A transaction for one request: committed when the block ends without error."""
    with database().session() as session:
        yield session


def current_user() -> Person | None:
    return cast(Person | None, g.get("user"))
