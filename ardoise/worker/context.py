"""The database a task uses in this process (a worker's own, or the web app's in-process)."""

from __future__ import annotations

from ardoise.config import Config, from_env
from ardoise.db import Database

_state: dict[str, Database] = {}


def bind(database: Database) -> None:
    _state["db"] = database


def database() -> Database:
    if "db" not in _state:
        bind(Database(from_env().effective_database_url))
    return _state["db"]


def bind_config(config: Config) -> Database:
    db = Database(config.effective_database_url)
    bind(db)
    return db
