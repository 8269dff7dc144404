"""Alembic environment: the metadata of every package's models."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import ardoise.code_runs  # noqa: F401 - registers tables
import coding_lab.models  # noqa: F401
import exam_engine.models  # noqa: F401
import item_bank.models  # noqa: F401
import item_bank.search  # noqa: F401
import proctoring.models  # noqa: F401
import student_records.models  # noqa: F401
from ardoise.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
target_metadata = Base.metadata


def include_object(obj: object, name: str | None, kind: str, reflected: bool,
                   compare_to: object) -> bool:
    """Leave to their migration the full-text tables and index made by hand (0005)."""
    return not (name or "").startswith(("item_search_fts", "ix_item_search_document_fts"))


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata,
                      include_object=include_object, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _migrate(conn: Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it and dropping the old one: with foreign keys
        # on, that drop cascades into (or is refused by) every table pointing at it, so
        # item versions would vanish with the items table. Off for the migration (outside
        # any transaction, where SQLite honours it), then checked, then on again.
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(connection=conn, target_metadata=target_metadata,
                      include_object=include_object, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    if sqlite:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(url or "")
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
