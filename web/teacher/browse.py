"""The teacher's question list: full-text search with a filter for every metadata field,
one page at a time, showing only what the banks let the teacher see."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import flash, g, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid
from item_bank import banks as item_banks
from item_bank.models import BankMember, Item, ItemBank
from item_bank.registry import default_registry
from item_bank.search import SearchFilters, SearchPage, search_page
from item_bank.workflow import ItemStatus
from student_records.models import Person, Role
from web.access import AUTHORING, role_required, staff_orgs
from web.context import unit_of_work
from web.messages import message_for
from web.teacher.views import authored_types, bp, status_label, type_label

PER_PAGE = 25
#: Query-string name → :class:`SearchFilters` field, for the text and choice filters.
TEXT_FILTERS = {"subject": "subject", "level": "level", "competency": "competency",
                "licence": "licence", "tag": "tag"}
CHOICE_FILTERS = {"type": "item_type", "status": "status", "bank": "bank_id",
                  "author": "author_id"}


def filters_from(args: Any) -> SearchFilters:
    """The filters of a query string; a malformed difficulty is refused by name."""
    values: dict[str, Any] = {}
    for name, field in {**TEXT_FILTERS, **CHOICE_FILTERS}.items():
        value = str(args.get(name, "")).strip()[:200]
        if value:
            values[field] = value
    difficulty = str(args.get("difficulty", "")).strip()
    if difficulty:
        if not difficulty.isdigit() or not 1 <= int(difficulty) <= 5:
            raise Invalid("search_invalid", field="difficulty")
        values["difficulty"] = int(difficulty)
    return SearchFilters(**values)


def _page_number(args: Any) -> int:
    text = str(args.get("page", "1"))
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1


def _visible(db: Session, scope: set[str]) -> Any:
    """The items the caller may see, as a subquery for the filters' choices."""
    member_of = select(BankMember.bank_id).where(BankMember.person_id == g.user.id)
    open_banks = select(ItemBank.id).where(ItemBank.confidential.is_(False))
    return select(Item).where(
        Item.bank_id.in_(member_of)
        | (Item.organisation_id.in_(scope)
           & (Item.bank_id.is_(None) | Item.bank_id.in_(open_banks)))).subquery()


def filter_choices(db: Session, scope: set[str]) -> dict[str, Any]:
    """What each filter can be set to, taken from the items the caller may see only (so a
    confidential bank's subjects or authors never show through)."""
    visible = _visible(db, scope)

    def values(column: str) -> list[str]:
        rows = db.scalars(select(visible.c[column]).distinct().where(
            visible.c[column].is_not(None)).order_by(visible.c[column]))
        return [str(v) for v in rows if str(v).strip()]

    tags = sorted({t for row in db.scalars(select(visible.c.tags)) for t in (row or [])})
    authors = list(db.scalars(select(Person).where(Person.id.in_(
        select(visible.c.created_by))).order_by(Person.family_name, Person.given_name)))
    return {"subjects": values("subject"), "levels": values("level"),
            "competencies": values("competency"), "licences": values("licence"),
            "tags": tags[:500], "authors": authors,
            "banks": item_banks.visible_banks(db, g.user.id, scope)}


@bp.get("/items")
@role_required(Role.TEACHER)
def item_list() -> ResponseReturnValue:
    """Search and browse: ``q`` and every filter travel in the query string, so a search
    can be bookmarked and the pages keep it."""
    args = request.args
    status = 200
    filters: SearchFilters | None = None
    try:
        filters = filters_from(args)
    except DomainError as error:  # no results rather than those of another search
        flash(message_for(error.code, error.params), "error")
        status = 422
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        found = search_page(db, str(args.get("q", ""))[:200], g.user.id, scope, filters,
                            page=_page_number(args), per_page=PER_PAGE) \
            if filters is not None else SearchPage([], 0, 1, PER_PAGE)
        choices = filter_choices(db, scope)
        bank_names = {b.id: b.name for b in choices["banks"]}
        kept = {k: v for k, v in args.items() if k != "page" and v}
        return render_template(
            "teacher/items.html", results=found, form=args, types=authored_types(),
            all_types=sorted(default_registry().names()), statuses=list(ItemStatus),
            type_label=type_label, status_label=status_label, bank_names=bank_names,
            searching=bool(kept), page_url=lambda n: "?" + urlencode({**kept, "page": n}),
            **choices), status
