"""Authoring items: every change makes a new immutable version."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from item_bank.models import Item, ItemVersion
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.rich_text import require_alt_text_in
from item_bank.search import index_item


def validate_content(
    item_type: str, content: dict[str, Any], registry: ItemTypeRegistry | None = None,
) -> dict[str, Any]:
    """Validate authored content by its type; a parametrised item (with a generator) by its
    variants (:mod:`item_bank.variants`)."""
    registry = registry or default_registry()
    if isinstance(content, dict) and content.get("generator"):
        from item_bank.variants import validate_parametrised  # it reads versions from here

        registry.get(item_type)  # an unknown type is refused before any code runs
        return validate_parametrised(item_type, content, registry)
    return registry.get(item_type).validate(content)


def create_item(
    session: Session, organisation_id: str, item_type: str, title: str, content: dict[str, Any],
    author_id: str | None = None, registry: ItemTypeRegistry | None = None,
    bank_id: str | None = None, source_id: str | None = None,
) -> ItemVersion:
    """Create an item and its first version; the content is validated by its type.
    ``source_id`` names it in the file it was imported from (unique in its bank)."""
    registry = registry or default_registry()
    clean = validate_content(item_type, content, registry)
    require_alt_text_in(clean)
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid("item_invalid", field="title")
    if source_id is not None and not 0 < len(source_id) <= 200:
        raise Invalid("item_invalid", field="source_id")
    item = Item(organisation_id=organisation_id, item_type=item_type, title=title,
                latest_version=1, created_by=author_id, bank_id=bank_id, source_id=source_id,
                tags=[])
    session.add(item)
    session.flush()
    version = ItemVersion(item_id=item.id, number=1, item_type=item_type, content=clean,
                          created_by=author_id)
    session.add(version)
    session.flush()
    index_item(session, item.id)
    return version


def revise_item(
    session: Session, item_id: str, content: dict[str, Any], author_id: str | None = None,
    title: str | None = None, registry: ItemTypeRegistry | None = None,
) -> ItemVersion:
    """Add a version to an item; earlier versions stay exactly as they were."""
    registry = registry or default_registry()
    item = session.get(Item, item_id, with_for_update=True)
    if item is None:
        raise NotFound("item_not_found")
    clean = validate_content(item.item_type, content, registry)
    require_alt_text_in(clean)
    if title is not None and title.strip():
        item.title = title.strip()[:200]
    if item.status in ("reviewed", "published"):  # a changed item is reviewed again
        item.status, item.reviewed_by, item.reviewed_at = "draft", None, None
    item.latest_version += 1
    version = ItemVersion(item_id=item.id, number=item.latest_version, item_type=item.item_type,
                          content=clean, created_by=author_id)
    session.add(version)
    session.flush()
    index_item(session, item.id)
    return version


def get_item(session: Session, item_id: str) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound("item_not_found")
    return item


def latest_version(session: Session, item_id: str) -> ItemVersion:
    item = get_item(session, item_id)
    version = session.scalar(
        select(ItemVersion).where(ItemVersion.item_id == item_id,
                                  ItemVersion.number == item.latest_version)
    )
    if version is None:
        raise NotFound("item_not_found")
    return version


def get_version(session: Session, version_id: str) -> ItemVersion:
    version = session.get(ItemVersion, version_id)
    if version is None:
        raise NotFound("item_not_found")
    return version


class _VersionCache:
    """Item versions never change once written, so every process may keep them in memory."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self.lock = Lock()

    def get(self, session: Session, version_id: str) -> tuple[str, dict[str, Any]]:
        with self.lock:
            found = self.entries.get(version_id)
            if found is not None:
                self.entries.move_to_end(version_id)
                return found
        version = get_version(session, version_id)
        value = (version.item_type, version.content)
        with self.lock:
            self.entries[version_id] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


_versions = _VersionCache()


def version_type_and_content(session: Session, version_id: str) -> tuple[str, dict[str, Any]]:
    """The item type and content of an immutable version, from memory when possible."""
    return _versions.get(session, version_id)


def versions_of(session: Session, item_id: str) -> list[ItemVersion]:
    """Every version of an item, oldest first."""
    return list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)
                                .order_by(ItemVersion.number)))


def items_of(session: Session, organisation_ids: set[str]) -> list[Item]:
    return list(
        session.scalars(
            select(Item).where(Item.organisation_id.in_(organisation_ids))
            .order_by(Item.created_at.desc())
        )
    )
