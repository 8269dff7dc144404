"""Pool pages: the pools of a teacher's schools, and creating one from tags.

A pool selects a school's published items carrying all of its tags (optionally in one bank);
an exam section draws from it (``exam_engine.exams.add_section``). The page shows how many
published items each pool holds per difficulty, so a teacher sees what a section can draw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid
from item_bank import banks as item_banks
from item_bank import pools
from item_bank.models import ItemPool
from student_records import service as records
from student_records.models import Role
from web.access import AUTHORING, role_required, staff_orgs
from web.context import unit_of_work
from web.messages import message_for
from web.teacher.views import _school_for_form, _schools, bp


@dataclass(frozen=True)
class PoolRow:
    pool: ItemPool
    bank: str | None
    by_difficulty: list[tuple[str, int]]  # ("1".."5" or "—", published items)
    total: int


def pool_rows(db: Session, scope: set[str]) -> list[PoolRow]:
    rows = []
    banks = {b.id: b.name for b in item_banks.visible_banks(db, g.user.id, scope)}
    for pool in pools.pools_of(db, scope):
        counts: dict[str, int] = {}
        for _item_id, difficulty in pools.eligible_with_difficulty(db, pool):
            key = str(difficulty) if difficulty else "—"
            counts[key] = counts.get(key, 0) + 1
        order = [*(str(n) for n in range(1, 6)), "—"]
        rows.append(PoolRow(pool, banks.get(pool.bank_id or "") if pool.bank_id else None,
                            [(k, counts[k]) for k in order if k in counts],
                            sum(counts.values())))
    return rows


def tags_from(text: str) -> list[str]:
    return [t for t in re.split(r"[,;\n]+", text) if t.strip()]


@bp.route("/pools", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def pool_list() -> ResponseReturnValue:
    status = 200
    if request.method == "POST":
        try:
            with unit_of_work() as db:
                school = _school_for_form(db)
                bank_id = request.form.get("bank_id") or None
                if bank_id is not None:
                    bank = item_banks.get_bank(db, bank_id)
                    if not item_banks.can_see(db, bank, g.user.id,
                                              staff_orgs(db, g.user, AUTHORING)):
                        raise Invalid("pool_invalid", field="bank")
                pool = pools.create_pool(db, school.id, request.form.get("name", ""),
                                         tags_from(request.form.get("tags", "")),
                                         bank_id=bank_id, creator_id=g.user.id)
                records.audit(db, g.user, "create_pool", "item_pool", pool.id, school.id)
            flash(_("Pool created."), "success")
            return redirect(url_for("teacher.pool_list"))
        except DomainError as error:
            flash(message_for(error.code, error.params), "error")
            status = 422
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        return render_template(
            "teacher/pools.html", rows=pool_rows(db, scope), form=request.form,
            schools=_schools(db), banks=item_banks.visible_banks(db, g.user.id, scope),
        ), status
