"""Full-text search over items: stems, options, passages, titles and metadata.

Each item has one search document, normalised in Python (case folded, accents removed)
so that « équation » finds « Equation » on every database. SQLite searches it through an
FTS5 table, PostgreSQL through a GIN index on ``to_tsvector('simple', document)``. The
document is written whenever an item, its latest version or its metadata changes
(:func:`index_item`); who may see which item is decided by :mod:`item_bank.banks`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Select, String, Text, column, delete, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ardoise.db import Base
from item_bank.models import BankMember, Item, ItemBank, ItemVersion

#: Keys whose values are the answer key or graders' notes: not searchable text.
KEY_FIELDS = {"generator", "correct", "answer", "answers", "pairs", "order", "rubric", "tolerance",
              "tolerance_mode", "scoring", "id", "points", "shuffle", "max_selections"}
MAX_DOCUMENT = 20_000
_WORD = re.compile(r"\w+", re.UNICODE)


class ItemSearchDocument(Base):
    """The normalised text of an item, the one row full-text search reads."""

    __tablename__ = "item_search"

    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"),
                                         primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    item_type: Mapped[str] = mapped_column(String(40))


def normalise(value: str) -> str:
    """Lower case, no accents, single spaces: « Équation du 2ᵉ degré » → « equation du 2e
    degre »."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _texts(value: Any, key: str = "") -> Iterable[str]:
    if key in KEY_FIELDS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v, key)


def document_of(item: Item, content: dict[str, Any]) -> str:
    parts = [item.title, item.subject or "", item.level or "", item.competency or "",
             item.licence or "", " ".join(item.tags or []), *_texts(content)]
    return normalise(" ".join(parts))[:MAX_DOCUMENT]


def index_item(session: Session, item_id: str) -> None:
    """Write the item's search document from its latest version and metadata."""
    item = session.get(Item, item_id)
    if item is None:
        return
    version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item_id,
                                                       ItemVersion.number == item.latest_version))
    document = document_of(item, version.content if version else {})
    row = session.get(ItemSearchDocument, item_id)
    if row is None:
        session.add(ItemSearchDocument(item_id=item_id, document=document,
                                       item_type=item.item_type))
    else:
        row.document, row.item_type = document, item.item_type
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM item_search_fts WHERE item_id = :id"), {"id": item_id})
        session.execute(text("INSERT INTO item_search_fts (item_id, document) VALUES (:id, :d)"),
                        {"id": item_id, "d": document})


def forget_item(session: Session, item_id: str) -> None:
    session.execute(delete(ItemSearchDocument).where(ItemSearchDocument.item_id == item_id))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM item_search_fts WHERE item_id = :id"), {"id": item_id})


@dataclass(frozen=True)
class SearchFilters:
    """Every metadata field can narrow a search; ``None`` means any."""

    item_type: str | None = None
    subject: str | None = None
    level: str | None = None
    competency: str | None = None
    difficulty: int | None = None
    status: str | None = None
    licence: str | None = None
    bank_id: str | None = None
    tag: str | None = None
    author_id: str | None = None


def search_items(session: Session, query: str, person_id: str, staff_orgs: set[str],
                 filters: SearchFilters = SearchFilters(), limit: int = 200) -> list[Item]:
    """Items matching every word of ``query`` (whole words, accents and case ignored) that
    ``person_id`` may see, filtered by metadata, newest first."""
    statement = _matching(session, query, person_id, staff_orgs, filters)
    return list(session.scalars(statement.order_by(Item.created_at.desc(), Item.id.desc())
                                .limit(limit)))


@dataclass(frozen=True)
class SearchPage:
    """One page of results and how many match in all."""

    items: list[Item]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_page(session: Session, query: str, person_id: str, staff_orgs: set[str],
                filters: SearchFilters = SearchFilters(), page: int = 1,
                per_page: int = 25) -> SearchPage:
    """Like :func:`search_items`, one page at a time (``page`` counts from 1)."""
    statement = _matching(session, query, person_id, staff_orgs, filters)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = max(1, page)
    rows = session.scalars(statement.order_by(Item.created_at.desc(), Item.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return SearchPage(list(rows), int(total), page, per_page)


def _matching(session: Session, query: str, person_id: str, staff_orgs: set[str],
              filters: SearchFilters) -> Select[Item]:
    words = _WORD.findall(normalise(query))[:20]
    sqlite = session.get_bind().dialect.name == "sqlite"
    member_of = select(BankMember.bank_id).where(BankMember.person_id == person_id)
    open_banks = select(ItemBank.id).where(ItemBank.confidential.is_(False))
    statement = select(Item).where(
        (Item.bank_id.in_(member_of))
        | (Item.organisation_id.in_(staff_orgs)
           & (Item.bank_id.is_(None) | Item.bank_id.in_(open_banks))))
    if words:
        if sqlite:
            match = " AND ".join(f'"{w}"' for w in words)
            matching = text("SELECT item_id FROM item_search_fts WHERE item_search_fts "
                            "MATCH :q").bindparams(q=match).columns(column("item_id", String()))
            statement = statement.where(Item.id.in_(matching))
        else:
            tsquery = " & ".join(words)
            statement = statement.where(Item.id.in_(
                select(ItemSearchDocument.item_id).where(text(
                    "to_tsvector('simple', item_search.document) @@ "
                    "to_tsquery('simple', :tsq)").bindparams(tsq=tsquery))))
    for field in ("item_type", "subject", "level", "competency", "difficulty", "status",
                  "licence", "bank_id"):
        value = getattr(filters, field)
        if value is not None:
            statement = statement.where(getattr(Item, field) == value)
    if filters.author_id is not None:
        statement = statement.where(Item.created_by == filters.author_id)
    if filters.tag is not None:  # tags are stored lower-cased (workflow.clean_metadata)
        wanted = filters.tag.strip().lower()
        if sqlite:
            statement = statement.where(text(
                "EXISTS (SELECT 1 FROM json_each(items.tags) WHERE json_each.value = :tag)"
            ).bindparams(tag=wanted))
        else:
            statement = statement.where(text(
                "CAST(items.tags AS jsonb) @> CAST(:tag AS jsonb)").bindparams(
                tag=json.dumps([wanted])))
    return statement
