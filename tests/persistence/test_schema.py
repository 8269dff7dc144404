"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import ardoise.code_runs  # noqa: F401 - registers its table
import coding_lab.models  # noqa: F401
import exam_engine.models  # noqa: F401
import item_bank.models  # noqa: F401
import item_bank.search  # noqa: F401
import student_records.models  # noqa: F401
from ardoise.db import Base, Database


def outside_the_models(obj: object, name: str | None, kind: str, reflected: bool,
                       compare_to: object) -> bool:
    """The full-text machinery a migration makes by hand: SQLite's FTS5 table (and its
    shadow tables) and PostgreSQL's expression index."""
    return not (name or "").startswith(("item_search_fts", "ix_item_search_document_fts"))


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": outside_the_models})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
