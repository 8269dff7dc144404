"""item search: one normalised search document per item, with SQLite FTS5 or a
PostgreSQL GIN index on it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:10:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from item_bank.search import KEY_FIELDS, MAX_DOCUMENT, normalise

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _texts(value: object, key: str = "") -> list[str]:
    if key in KEY_FIELDS:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, str(k))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, key)]
    return []


def upgrade() -> None:
    op.create_table('item_search',
    sa.Column('item_id', sa.String(length=26), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('item_type', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'],
                            name=op.f('fk_item_search_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_search'))
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE VIRTUAL TABLE item_search_fts USING fts5(item_id UNINDEXED, document)")
    else:
        op.execute("CREATE INDEX ix_item_search_document_fts ON item_search "
                   "USING gin (to_tsvector('simple', document))")
    # The items written before this revision get their documents now.
    rows = bind.execute(sa.text(
        "SELECT items.id, items.item_type, items.title, items.subject, items.level, "
        "items.competency, items.licence, items.tags, item_versions.content "
        "FROM items JOIN item_versions ON item_versions.item_id = items.id "
        "AND item_versions.number = items.latest_version")).fetchall()
    for row in rows:
        content = json.loads(row.content) if isinstance(row.content, str) else row.content
        tags = json.loads(row.tags) if isinstance(row.tags, str) else (row.tags or [])
        parts = [row.title, row.subject or "", row.level or "", row.competency or "",
                 row.licence or "", " ".join(tags), *_texts(content)]
        document = normalise(" ".join(parts))[:MAX_DOCUMENT]
        bind.execute(sa.text("INSERT INTO item_search (item_id, document, item_type) "
                             "VALUES (:i, :d, :t)"), {"i": row.id, "d": document,
                                                      "t": row.item_type})
        if sqlite:
            bind.execute(sa.text("INSERT INTO item_search_fts (item_id, document) "
                                 "VALUES (:i, :d)"), {"i": row.id, "d": document})


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE item_search_fts")
    else:
        op.execute("DROP INDEX ix_item_search_document_fts")
    op.drop_table('item_search')
