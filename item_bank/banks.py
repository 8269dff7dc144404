"""Item banks: who may see and author which items, confidential banks included.

A bank belongs to an organisation. An open bank's items are visible to the staff of that
organisation (the caller passes the organisations where the viewer is staff); a
confidential bank's items are visible only to its members (authors and reviewers), and to
students only through the sittings that use them, never through the bank.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Conflict, Forbidden, Invalid, NotFound
from item_bank.models import BankMember, Item, ItemBank


class BankRole(enum.StrEnum):
    AUTHOR = "author"
    REVIEWER = "reviewer"


def create_bank(session: Session, organisation_id: str, name: str, confidential: bool,
                creator_id: str | None) -> ItemBank:
    """A new bank; its creator becomes its first author."""
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid("bank_invalid", field="name")
    if session.scalar(select(ItemBank.id).where(ItemBank.organisation_id == organisation_id,
                                                ItemBank.name == name)):
        raise Conflict("bank_exists", name=name)
    bank = ItemBank(organisation_id=organisation_id, name=name, confidential=confidential,
                    created_by=creator_id)
    session.add(bank)
    session.flush()
    if creator_id is not None:
        session.add(BankMember(bank_id=bank.id, person_id=creator_id, role=BankRole.AUTHOR))
        session.flush()
    return bank


def get_bank(session: Session, bank_id: str) -> ItemBank:
    bank = session.get(ItemBank, bank_id)
    if bank is None:
        raise NotFound("bank_not_found")
    return bank


def bank_by_name(session: Session, organisation_id: str, name: str) -> ItemBank:
    bank = session.scalar(select(ItemBank).where(ItemBank.organisation_id == organisation_id,
                                                 ItemBank.name == name.strip()))
    if bank is None:
        raise NotFound("bank_not_found")
    return bank


def roles_in(session: Session, bank_id: str, person_id: str) -> set[BankRole]:
    rows = session.scalars(select(BankMember.role).where(BankMember.bank_id == bank_id,
                                                         BankMember.person_id == person_id))
    return {BankRole(r) for r in rows}


def may_manage(session: Session, bank: ItemBank, person_id: str, admin_orgs: set[str]) -> bool:
    """Who appoints a bank's members: its authors, and the admins of its organisation
    (``admin_orgs``: the organisations ``person_id`` administers), who may appoint the
    authors of a confidential bank without being able to read its items."""
    return bank.organisation_id in admin_orgs or \
        BankRole.AUTHOR in roles_in(session, bank.id, person_id)


def add_member(session: Session, bank_id: str, person_id: str, role: BankRole,
               by_person_id: str, admin_orgs: set[str] | None = None) -> None:
    """Only an author of the bank (or an admin of its organisation) adds members."""
    if not may_manage(session, get_bank(session, bank_id), by_person_id, admin_orgs or set()):
        raise Forbidden("bank_forbidden")
    if role not in roles_in(session, bank_id, person_id):
        session.add(BankMember(bank_id=bank_id, person_id=person_id, role=role))
        session.flush()


def remove_member(session: Session, bank_id: str, person_id: str, role: BankRole,
                  by_person_id: str, admin_orgs: set[str] | None = None) -> None:
    """Take a role away; the last author stays, so that the bank keeps someone to run it."""
    if not may_manage(session, get_bank(session, bank_id), by_person_id, admin_orgs or set()):
        raise Forbidden("bank_forbidden")
    member = session.get(BankMember, (bank_id, person_id, str(role)))
    if member is None:
        return
    if role is BankRole.AUTHOR and len(members_of(session, bank_id, BankRole.AUTHOR)) <= 1:
        raise Conflict("bank_last_author")
    session.delete(member)
    session.flush()


def members_of(session: Session, bank_id: str, role: BankRole | None = None
               ) -> list[BankMember]:
    query = select(BankMember).where(BankMember.bank_id == bank_id)
    if role is not None:
        query = query.where(BankMember.role == role)
    return list(session.scalars(query.order_by(BankMember.role, BankMember.person_id)))


def can_see(session: Session, bank: ItemBank, person_id: str, staff_orgs: set[str]) -> bool:
    """Whether ``person_id`` (staff of ``staff_orgs``) may see the bank and its items."""
    if bank.confidential:
        return bool(roles_in(session, bank.id, person_id))
    return bank.organisation_id in staff_orgs


def can_author(session: Session, bank: ItemBank, person_id: str, staff_orgs: set[str]) -> bool:
    if bank.confidential:
        return BankRole.AUTHOR in roles_in(session, bank.id, person_id)
    return bank.organisation_id in staff_orgs


def visible_banks(session: Session, person_id: str, staff_orgs: set[str]) -> list[ItemBank]:
    member_of = select(BankMember.bank_id).where(BankMember.person_id == person_id)
    rows = session.scalars(
        select(ItemBank).where(
            (ItemBank.id.in_(member_of))
            | (ItemBank.organisation_id.in_(staff_orgs) & ItemBank.confidential.is_(False)))
        .order_by(ItemBank.name))
    return list(rows)


def visible_items(session: Session, person_id: str, staff_orgs: set[str]) -> list[Item]:
    """Items a staff member may browse: their organisations' items outside any bank or in
    an open bank, and the items of every bank they are a member of."""
    member_of = select(BankMember.bank_id).where(BankMember.person_id == person_id)
    open_banks = select(ItemBank.id).where(ItemBank.confidential.is_(False))
    rows = session.scalars(
        select(Item).where(
            (Item.bank_id.in_(member_of))
            | (Item.organisation_id.in_(staff_orgs)
               & (Item.bank_id.is_(None) | Item.bank_id.in_(open_banks))))
        .order_by(Item.created_at.desc()))
    return list(rows)


def require_visible(session: Session, item: Item, person_id: str, staff_orgs: set[str]) -> None:
    """Refuse an item the person may not see, as if it did not exist (no leak of its
    existence in a confidential bank)."""
    if item.bank_id is not None:
        if not can_see(session, get_bank(session, item.bank_id), person_id, staff_orgs):
            raise NotFound("item_not_found")
    elif item.organisation_id not in staff_orgs:
        raise NotFound("item_not_found")
