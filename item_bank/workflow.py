"""Item metadata and the review workflow: draft → reviewed → published → retired."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from ardoise.errors import Forbidden, Invalid
from item_bank.banks import BankRole, get_bank, roles_in
from item_bank.models import Item
from item_bank.search import index_item
from item_bank.service import get_item


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    PUBLISHED = "published"
    RETIRED = "retired"


#: Where each status may go next.
TRANSITIONS = {
    ItemStatus.DRAFT: {ItemStatus.REVIEWED, ItemStatus.RETIRED},
    ItemStatus.REVIEWED: {ItemStatus.PUBLISHED, ItemStatus.DRAFT, ItemStatus.RETIRED},
    ItemStatus.PUBLISHED: {ItemStatus.RETIRED, ItemStatus.DRAFT},
    ItemStatus.RETIRED: {ItemStatus.DRAFT},
}

TEXT_FIELDS = {"subject": 80, "level": 80, "competency": 200, "licence": 80}
MAX_TAGS = 30


def clean_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Validated metadata; an unknown or malformed field is refused by name."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key in TEXT_FIELDS:
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[key] = None
            elif isinstance(value, str) and len(value.strip()) <= TEXT_FIELDS[key]:
                clean[key] = value.strip()
            else:
                raise Invalid("item_invalid", field=key)
        elif key == "difficulty":
            if value is not None and (isinstance(value, bool) or value not in range(1, 6)):
                raise Invalid("item_invalid", field=key)
            clean[key] = value
        elif key == "tags":
            if not isinstance(value, list | tuple) or len(value) > MAX_TAGS or not all(
                    isinstance(t, str) and 0 < len(t.strip()) <= 60 for t in value):
                raise Invalid("item_invalid", field=key)
            clean[key] = sorted({t.strip().lower() for t in value})
        else:
            raise Invalid("item_invalid", field=key)
    return clean


def set_metadata(session: Session, item_id: str, values: dict[str, Any]) -> Item:
    item = get_item(session, item_id)
    for key, value in clean_metadata(values).items():
        setattr(item, key, value)
    session.flush()
    index_item(session, item.id)
    return item


def change_status(session: Session, item_id: str, to: ItemStatus, person_id: str) -> Item:
    """Move an item along the workflow. In a bank, reviewing and publishing are a
    reviewer's, and nobody reviews their own item; outside banks the author's school
    decides (the web layer checks the person is staff there)."""
    item = get_item(session, item_id)
    current = ItemStatus(item.status)
    if to not in TRANSITIONS[current]:
        raise Invalid("item_status_invalid", status=str(to), current=str(current))
    if to in (ItemStatus.REVIEWED, ItemStatus.PUBLISHED):
        if item.bank_id is not None:
            get_bank(session, item.bank_id)
            if BankRole.REVIEWER not in roles_in(session, item.bank_id, person_id):
                raise Forbidden("item_review_forbidden")
        if to is ItemStatus.REVIEWED and item.created_by == person_id:
            raise Forbidden("item_review_own")
    if to is ItemStatus.REVIEWED:
        item.reviewed_by, item.reviewed_at = person_id, utcnow()
    elif to is ItemStatus.DRAFT:
        item.reviewed_by, item.reviewed_at = None, None
    item.status = str(to)
    session.flush()
    return item
