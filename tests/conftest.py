"""Fixtures: real databases, the app factory, a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from ardoise import migrate
from ardoise.config import Config
from ardoise.db import Database
from student_records import service as records
from tests.factories import PASSWORD
from tests.services import fresh_pg_database, worker_id
from web import create_app


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """Argon2 with its production cost takes ~0.5 s a hash here; fixtures hash hundreds."""
    records.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'ardoise.db'}"


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A migrated PostgreSQL database for this xdist worker, copied by each test."""
    name = f"ardoise_tmpl_{worker_id()}"
    url = fresh_pg_database(name)
    migrate.upgrade(url)
    Database(url).dispose()
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database of each kind: persistence tests run on both."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        migrate.upgrade(url)
        return url
    template = request.getfixturevalue("pg_template")
    return fresh_pg_database(f"ardoise_t_{worker_id()}", template=template)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    url = sqlite_url(tmp_path)
    migrate.upgrade(url)
    config = Config(data_dir=tmp_path, database_url=url, secret_key="test-secret",
                    login_limit_per_account="5 per minute", login_limit_per_address="20 per minute")
    application = create_app(config)
    application.config.update(TESTING=True)
    yield application
    application.extensions["ardoise.db"].dispose()


@pytest.fixture
def app_db(app: Flask) -> Database:
    return app.extensions["ardoise.db"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start:page.index('"', start)]

    def login(self, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.csrf()})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
