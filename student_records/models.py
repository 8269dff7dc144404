"""OneRoster-shaped records: organisations, people, roles, classes and enrolments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime, str_enum
from ardoise.ids import new_id


class Role(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    GRADER = "grader"
    PROCTOR = "proctor"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.TEACHER, Role.GRADER, Role.PROCTOR, Role.ADMIN})


class OrgKind(enum.StrEnum):
    BOARD = "board"
    SCHOOL = "school"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, 16))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    source_id: Mapped[str | None] = mapped_column(String(100), unique=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return self.name_of(self.given_name, self.family_name, self.username)

    @staticmethod
    def name_of(given_name: str | None, family_name: str | None, username: str) -> str:
        """A person's name as shown: given and family names, else the username."""
        full = f"{given_name or ''} {family_name or ''}".strip()
        return full or username


class RoleAssignment(Base):
    """A role held by a person in an organisation (a school, or a board for admins)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "role", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))

    person: Mapped[Person] = relationship(back_populates="roles")


class SchoolClass(Base):
    __tablename__ = "classes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("class_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))


class Accommodation(Base):
    """Per-student adjustments; ``extra_time_percent`` lengthens every timed attempt."""

    __tablename__ = "accommodations"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class ApiToken(Base):
    """A bearer token for scripted clients; only its sha256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who did what to which object, and when: the staff audit trail."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    detail: Mapped[str] = mapped_column(Text, default="{}")
