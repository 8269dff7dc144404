"""Services over people, roles, classes and enrolments; no web, no commit of the caller's work."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from ardoise.errors import Conflict, Invalid, NotFound
from student_records.models import (
    Accommodation,
    ApiToken,
    AuditEntry,
    Enrolment,
    Organisation,
    OrgKind,
    Person,
    Role,
    RoleAssignment,
    SchoolClass,
)

_hashers = {"current": PasswordHasher()}


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the argon2 parameters (tests use cheap ones; production keeps the defaults)."""
    _hashers["current"] = hasher
    _dummy_hash.cache_clear()


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so that they cost as much as real ones."""
    return _hashers["current"].hash(secrets.token_hex(16))


def create_organisation(
    session: Session, name: str, kind: OrgKind, parent: Organisation | None = None,
    source_id: str | None = None,
) -> Organisation:
    org = Organisation(name=name, kind=kind, parent_id=parent.id if parent else None,
                       source_id=source_id)
    session.add(org)
    session.flush()
    return org


def find_organisation(session: Session, source_id: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.source_id == source_id))


def create_person(
    session: Session, username: str, *, password: str | None = None, given_name: str = "",
    family_name: str = "", email: str | None = None, locale: str = "fr",
) -> Person:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise Invalid("invalid_username")
    if session.scalar(select(Person.id).where(Person.username == username)):
        raise Conflict("username_taken", username=username)
    person = Person(username=username, given_name=given_name, family_name=family_name,
                    email=email, locale=locale)
    if password is not None:
        set_password(person, password)
    session.add(person)
    session.flush()
    return person


def set_password(person: Person, password: str) -> None:
    if len(password) < 8:
        raise Invalid("password_too_short")
    person.password_hash = _hashers["current"].hash(password)


def authenticate(session: Session, username: str, password: str) -> Person | None:
    """Return the active person whose password matches, else ``None`` (constant-ish time)."""
    person = session.scalar(select(Person).where(Person.username == username.strip()))
    stored = person.password_hash if person and person.active and person.password_hash else None
    try:
        _hashers["current"].verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None or person is None:
        return None
    if _hashers["current"].check_needs_rehash(stored):
        person.password_hash = _hashers["current"].hash(password)
    return person


def get_person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person_not_found")
    return person


def person_by_username(session: Session, username: str) -> Person:
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        raise NotFound("person_not_found", username=username)
    return person


def assign_role(session: Session, person: Person, role: Role, organisation: Organisation) -> None:
    exists = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role,
            RoleAssignment.organisation_id == organisation.id,
        )
    )
    if not exists:
        session.add(RoleAssignment(person_id=person.id, role=role,
                                   organisation_id=organisation.id))
        session.flush()
        session.refresh(person, ["roles"])


def create_class(session: Session, school: Organisation, title: str, code: str) -> SchoolClass:
    if school.kind is not OrgKind.SCHOOL:
        raise Invalid("class_needs_school")
    klass = SchoolClass(school_id=school.id, title=title, code=code)
    session.add(klass)
    session.flush()
    return klass


def enrol(session: Session, klass: SchoolClass, person: Person, role: Role) -> None:
    exists = session.scalar(
        select(Enrolment.id).where(
            Enrolment.class_id == klass.id, Enrolment.person_id == person.id,
            Enrolment.role == role,
        )
    )
    if not exists:
        session.add(Enrolment(class_id=klass.id, person_id=person.id, role=role))
        session.flush()


def get_class(session: Session, class_id: str) -> SchoolClass:
    klass = session.get(SchoolClass, class_id)
    if klass is None:
        raise NotFound("class_not_found")
    return klass


def class_members(session: Session, class_id: str, role: Role = Role.STUDENT) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(Enrolment.class_id == class_id, Enrolment.role == role)
            .order_by(Person.family_name, Person.given_name, Person.username)
        )
    )


def schools_where(person: Person, roles: Iterable[Role]) -> set[str]:
    """Organisation ids where ``person`` holds one of ``roles``."""
    wanted = set(roles)
    return {ra.organisation_id for ra in person.roles if ra.role in wanted}


def has_role(person: Person, role: Role, organisation_id: str | None = None) -> bool:
    return any(
        ra.role is role and (organisation_id is None or ra.organisation_id == organisation_id)
        for ra in person.roles
    )


def admin_scope(session: Session, person: Person) -> set[str]:
    """Every organisation an admin governs: the ones named and all their descendants."""
    roots = schools_where(person, [Role.ADMIN])
    if not roots:
        return set()
    orgs = list(session.scalars(select(Organisation)))
    children: dict[str | None, list[str]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org.id)
    scope, stack = set(), list(roots)
    while stack:
        org_id = stack.pop()
        if org_id not in scope:
            scope.add(org_id)
            stack.extend(children.get(org_id, []))
    return scope


def extra_time_percent(session: Session, person_id: str) -> int:
    acc = session.get(Accommodation, person_id)
    return acc.extra_time_percent if acc else 0


def set_extra_time(session: Session, person: Person, percent: int, note: str = "") -> None:
    if not 0 <= percent <= 300:
        raise Invalid("extra_time_out_of_range")
    acc = session.get(Accommodation, person.id)
    if acc is None:
        session.add(Accommodation(person_id=person.id, extra_time_percent=percent, note=note))
    else:
        acc.extra_time_percent = percent
        acc.note = note
    session.flush()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, person: Person, label: str = "") -> tuple[ApiToken, str]:
    """Create an API token; the clear text is returned once and never stored."""
    clear = "ard_" + secrets.token_urlsafe(32)
    token = ApiToken(person_id=person.id, digest=_digest(clear), label=label)
    session.add(token)
    session.flush()
    return token, clear


def person_for_token(session: Session, clear: str) -> tuple[Person, ApiToken] | None:
    token = session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(clear), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    person = session.get(Person, token.person_id)
    if person is None or not person.active:
        return None
    return person, token


@dataclass(frozen=True)
class AuditRecord:
    at: str
    actor: str | None
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


def audit(
    session: Session, actor: Person | None, action: str, object_type: str, object_id: str,
    organisation_id: str | None = None, **detail: Any,
) -> None:
    """Record a staff action in the same transaction as the action itself."""
    session.add(
        AuditEntry(
            at=utcnow(), actor_id=actor.id if actor else None, action=action,
            object_type=object_type, object_id=object_id, organisation_id=organisation_id,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
    )


def audit_entries(
    session: Session, organisation_ids: Sequence[str] | None = None, limit: int = 200,
    object_id: str | None = None,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if organisation_ids is not None:
        query = query.where(AuditEntry.organisation_id.in_(list(organisation_ids)))
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return list(session.scalars(query))


def revoke_token(session: Session, token: ApiToken) -> None:
    token.revoked_at = utcnow()
