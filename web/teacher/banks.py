"""Bank pages: the banks a teacher may see, creating one, and appointing its members.

Rules (see docs/item-bank.md): a teacher sees the open banks of their organisations and
every bank they are a member of; an admin also sees the banks of the organisations they
govern (a confidential bank's name and members, never its items). Members are appointed
by the bank's authors and by admins of its organisation, and only staff of the bank's
organisation (or of a school under it) can become members.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid, NotFound
from item_bank import banks as item_banks
from item_bank.banks import BankRole
from item_bank.models import Item, ItemBank
from student_records import service as records
from student_records.models import Organisation, Person, Role
from web.access import AUTHORING, role_required, staff_orgs
from web.context import unit_of_work
from web.messages import message_for
from web.teacher.views import bp

#: Roles that make someone staff who may be appointed to a bank.
MEMBER_ROLES = (Role.TEACHER, Role.ADMIN)


@dataclass(frozen=True)
class BankRow:
    bank: ItemBank
    organisation: str
    items: int
    roles: set[BankRole]
    may_manage: bool


@dataclass(frozen=True)
class MemberRow:
    person: Person
    roles: list[BankRole]


def role_label(role: str) -> str:
    return {"author": _("Author"), "reviewer": _("Reviewer")}.get(role, role)


def _admin_orgs(db: Session) -> set[str]:
    return records.admin_scope(db, g.user)


def _subtree(db: Session, organisation_id: str) -> set[str]:
    """The organisation and every organisation under it."""
    children: dict[str | None, list[str]] = {}
    for org_id, parent_id in db.execute(select(Organisation.id, Organisation.parent_id)):
        children.setdefault(parent_id, []).append(org_id)
    found, stack = set(), [organisation_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def _banks_for(db: Session) -> list[ItemBank]:
    """Banks the caller may see, plus those an admin governs."""
    scope = staff_orgs(db, g.user, AUTHORING)
    seen = {b.id: b for b in item_banks.visible_banks(db, g.user.id, scope)}
    admin_orgs = _admin_orgs(db)
    if admin_orgs:
        for bank in db.scalars(select(ItemBank).where(ItemBank.organisation_id.in_(admin_orgs))):
            seen.setdefault(bank.id, bank)
    return sorted(seen.values(), key=lambda b: b.name.casefold())


def _bank_or_404(db: Session, bank_id: str) -> ItemBank:
    """The bank if the caller may see it or manage it; otherwise as if it did not exist."""
    try:
        bank = item_banks.get_bank(db, bank_id)
    except NotFound:
        abort(404)
    scope = staff_orgs(db, g.user, AUTHORING)
    if item_banks.can_see(db, bank, g.user.id, scope) or \
            item_banks.may_manage(db, bank, g.user.id, _admin_orgs(db)):
        return bank
    abort(404)


def _organisations(db: Session) -> list[Organisation]:
    ids = staff_orgs(db, g.user, AUTHORING)
    return sorted((o for o in (db.get(Organisation, i) for i in ids) if o is not None),
                  key=lambda o: o.name.casefold())


def _rows(db: Session) -> list[BankRow]:
    admin_orgs = _admin_orgs(db)
    banks = _banks_for(db)
    counts: dict[str | None, int] = {
        bank_id: count for bank_id, count in db.execute(select(Item.bank_id, func.count()).where(
            Item.bank_id.in_([b.id for b in banks])).group_by(Item.bank_id))}
    names = {o.id: o.name for o in db.scalars(select(Organisation).where(
        Organisation.id.in_({b.organisation_id for b in banks})))}
    return [BankRow(b, names.get(b.organisation_id, ""), int(counts.get(b.id, 0)),
                    item_banks.roles_in(db, b.id, g.user.id),
                    item_banks.may_manage(db, b, g.user.id, admin_orgs)) for b in banks]


@bp.route("/banks", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def bank_list() -> ResponseReturnValue:
    """The caller's banks, and the form that creates one (its creator is its first author)."""
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            with unit_of_work() as db:
                organisation_id = form.get("organisation_id", "")
                if organisation_id not in staff_orgs(db, g.user, AUTHORING):
                    raise Invalid("bank_invalid", field="organisation")
                bank = item_banks.create_bank(db, organisation_id, form.get("name", ""),
                                              form.get("confidential") == "on", g.user.id)
                records.audit(db, g.user, "create_bank", "item_bank", bank.id, organisation_id)
            flash(_("Bank created."), "success")
            return redirect(url_for("teacher.bank_show", bank_id=bank.id))
        except DomainError as error:
            flash(message_for(error.code, error.params), "error")
            status = 422
    with unit_of_work() as db:
        return render_template("teacher/banks.html", rows=_rows(db),
                               organisations=_organisations(db), form=request.form), status


@bp.get("/banks/<bank_id>")
@role_required(Role.TEACHER)
def bank_show(bank_id: str) -> ResponseReturnValue:
    return _bank_page(bank_id, 200)


def _bank_page(bank_id: str, status: int) -> ResponseReturnValue:
    with unit_of_work() as db:
        bank = _bank_or_404(db, bank_id)
        by_person: dict[str, list[BankRole]] = {}
        for member in item_banks.members_of(db, bank.id):
            by_person.setdefault(member.person_id, []).append(BankRole(member.role))
        people = {p.id: p for p in db.scalars(select(Person).where(
            Person.id.in_(by_person)))}
        members = sorted((MemberRow(people[pid], roles) for pid, roles in by_person.items()
                          if pid in people),
                         key=lambda m: (m.person.family_name or "", m.person.username))
        organisation = db.get(Organisation, bank.organisation_id)
        scope = staff_orgs(db, g.user, AUTHORING)
        return render_template(
            "teacher/bank.html", bank=bank, members=members, role_label=role_label,
            organisation=organisation, roles=list(BankRole), form=request.form,
            may_manage=item_banks.may_manage(db, bank, g.user.id, _admin_orgs(db)),
            may_read=item_banks.can_see(db, bank, g.user.id, scope),
            item_count=db.scalar(select(func.count()).where(Item.bank_id == bank.id)) or 0,
        ), status


def _role(value: str | None) -> BankRole:
    try:
        return BankRole(value or "")
    except ValueError:
        raise Invalid("bank_member_invalid", field="role") from None


@bp.post("/banks/<bank_id>/members")
@role_required(Role.TEACHER)
def bank_member_add(bank_id: str) -> ResponseReturnValue:
    """Appoint a member by username; they must be staff under the bank's organisation."""
    try:
        with unit_of_work() as db:
            bank = _bank_or_404(db, bank_id)
            if not item_banks.may_manage(db, bank, g.user.id, _admin_orgs(db)):
                abort(403)
            role = _role(request.form.get("role"))
            username = request.form.get("username", "").strip()
            person = db.scalar(select(Person).where(Person.username == username))
            allowed = _subtree(db, bank.organisation_id)
            if person is None or not records.schools_where(person, MEMBER_ROLES) & allowed:
                raise Invalid("bank_member_not_staff", username=username[:100])
            item_banks.add_member(db, bank.id, person.id, role, g.user.id, _admin_orgs(db))
            records.audit(db, g.user, f"bank_add_{role}", "item_bank", bank.id,
                          bank.organisation_id)
        flash(_("%(name)s is now %(role)s of this bank.", name=person.display_name,
                role=role_label(role).lower()), "success")
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        return _bank_page(bank_id, 422)
    return redirect(url_for("teacher.bank_show", bank_id=bank_id))


@bp.post("/banks/<bank_id>/members/<person_id>/remove")
@role_required(Role.TEACHER)
def bank_member_remove(bank_id: str, person_id: str) -> ResponseReturnValue:
    try:
        with unit_of_work() as db:
            bank = _bank_or_404(db, bank_id)
            if not item_banks.may_manage(db, bank, g.user.id, _admin_orgs(db)):
                abort(403)
            role = _role(request.form.get("role"))
            item_banks.remove_member(db, bank.id, person_id, role, g.user.id, _admin_orgs(db))
            records.audit(db, g.user, f"bank_remove_{role}", "item_bank", bank.id,
                          bank.organisation_id)
        flash(_("Member removed."), "success")
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
    return redirect(url_for("teacher.bank_show", bank_id=bank_id))
