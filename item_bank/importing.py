"""Putting parsed items into a bank: all or nothing, new versions for known source ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid
from item_bank.models import Item
from item_bank.search import index_item
from item_bank.service import create_item, revise_item
from item_bank.workflow import TEXT_FIELDS, clean_metadata


class ParsedItemLike(Protocol):
    """What an importer hands over (see ``item_bank.interop.model.ParsedItem``)."""

    @property
    def source_id(self) -> str: ...
    @property
    def item_type(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def content(self) -> dict[str, Any]: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class ImportedItem:
    item_id: str
    item_type: str
    title: str
    version: int
    created: bool


#: How an item with no source identifier of its own is named in our exports.
EXPORT_PREFIX = "ardoise-"


def export_source_id(item: Item) -> str:
    return item.source_id or f"{EXPORT_PREFIX}{item.id}"


def _existing(session: Session, organisation_id: str, bank_id: str | None,
              source_id: str) -> Item | None:
    if source_id.startswith(EXPORT_PREFIX):  # one of ours, exported: the same item again
        ours = session.get(Item, source_id.removeprefix(EXPORT_PREFIX))
        if ours is not None and ours.organisation_id == organisation_id \
                and ours.bank_id == bank_id:
            return ours
    query = select(Item).where(Item.source_id == source_id)
    if bank_id is None:
        query = query.where(Item.organisation_id == organisation_id, Item.bank_id.is_(None))
    else:
        query = query.where(Item.bank_id == bank_id)
    return session.scalar(query)


def import_items(session: Session, organisation_id: str, bank_id: str | None,
                 parsed: Iterable[ParsedItemLike], author_id: str | None,
                 dry_run: bool = False,
                 progress: Callable[[int], None] | None = None,
                 filename: str = "") -> list[ImportedItem]:
    """Create the new items and a new version of every item already imported from the same
    source id. Any error leaves the database as it was and names the item; ``dry_run``
    checks everything and writes nothing. ``progress`` hears how many items are done after
    each one (the page that follows a bulk import shows it).

    :raises Invalid: ``import_item_invalid`` with params ``file`` (``filename``), ``item``,
        ``reason`` (the code of the refusal, e.g. ``import_type_changed``) and that
        refusal's own params (``field``...); ``detail`` says it in English.
    """
    done: list[ImportedItem] = []
    savepoint = session.begin_nested()
    try:
        for item in parsed:
            try:
                done.append(_import_one(session, organisation_id, bank_id, item, author_id))
                if progress is not None:
                    progress(len(done))
            except DomainError as error:
                name = item.source_id or item.title
                own = {k: str(v) for k, v in error.params.items()
                       if k not in ("file", "item", "reason")}
                where = f"{filename}: item {name!r}" if filename else f"item {name!r}"
                raise Invalid("import_item_invalid",
                              f"{where}: {error.detail or error.code} {own}".rstrip(" {}"),
                              file=filename, item=name, reason=error.code, **own) from error
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return done


def _import_one(session: Session, organisation_id: str, bank_id: str | None,
                parsed: ParsedItemLike, author_id: str | None) -> ImportedItem:
    metadata = clean_metadata({k: v for k, v in parsed.metadata.items()
                               if k in TEXT_FIELDS or k == "difficulty"})
    existing = _existing(session, organisation_id, bank_id, parsed.source_id)
    if existing is not None:
        if existing.item_type != parsed.item_type:
            raise Invalid("import_type_changed", field="item_type")
        version = revise_item(session, existing.id, parsed.content, author_id=author_id,
                              title=parsed.title)
        item, created = existing, False
    else:
        version = create_item(session, organisation_id, parsed.item_type, parsed.title,
                              parsed.content, author_id=author_id, bank_id=bank_id,
                              source_id=parsed.source_id)
        found = session.get(Item, version.item_id)
        assert found is not None
        item, created = found, True
    for key, value in metadata.items():
        setattr(item, key, value)
    item.tags = clean_metadata({"tags": [*item.tags, *parsed.tags]})["tags"]
    session.flush()
    index_item(session, item.id)
    return ImportedItem(item.id, item.item_type, item.title, version.number, created)
