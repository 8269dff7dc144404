"""REST endpoints of the item bank: search and read items, as the banks allow (staff only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from ardoise.clock import iso
from ardoise.errors import Invalid
from item_bank import banks
from item_bank import service as items
from item_bank.models import Item
from item_bank.search import SearchFilters, search_items
from web.access import AUTHORING, login_required, staff_orgs
from web.context import unit_of_work

bp = Blueprint("api_items", __name__, url_prefix="/api/v1")

FILTERS = {"type": "item_type", "subject": "subject", "level": "level",
           "competency": "competency", "status": "status", "licence": "licence",
           "bank": "bank_id", "tag": "tag"}


def item_view(item: Item) -> dict[str, Any]:
    return {"id": item.id, "type": item.item_type, "title": item.title,
            "version": item.latest_version, "status": item.status, "bank_id": item.bank_id,
            "subject": item.subject, "level": item.level, "competency": item.competency,
            "difficulty": item.difficulty, "licence": item.licence, "tags": item.tags or [],
            "source_id": item.source_id, "created_at": iso(item.created_at)}


def _filters() -> SearchFilters:
    values: dict[str, Any] = {field: request.args[name] for name, field in FILTERS.items()
                              if request.args.get(name)}
    if request.args.get("difficulty"):
        try:
            values["difficulty"] = int(request.args["difficulty"])
        except ValueError:
            raise Invalid("item_invalid", field="difficulty") from None
    return SearchFilters(**values)


@bp.get("/items")
@login_required
def list_items() -> ResponseReturnValue:
    """Teachers search the items they may see; nobody else reads the bank."""
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        if not scope and not banks.visible_banks(db, g.user.id, scope):
            abort(403)
        found = search_items(db, request.args.get("q", "")[:200], g.user.id, scope, _filters())
        return jsonify({"items": [item_view(i) for i in found]})


@bp.get("/items/<item_id>")
@login_required
def get_item(item_id: str) -> ResponseReturnValue:
    """One item with its latest version's content (answer key included: staff only)."""
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        item = items.get_item(db, item_id)
        banks.require_visible(db, item, g.user.id, scope)
        version = items.latest_version(db, item_id)
        return jsonify({**item_view(item), "content": version.content})
