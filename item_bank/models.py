"""Items and their immutable versions: an attempt always points at a version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime
from ardoise.ids import new_id


class Item(Base):
    """An item's stable identity, its metadata and its review status; the content lives in
    its versions."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_bank_source", "bank_id", "source_id", unique=True),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    bank_id: Mapped[str | None] = mapped_column(ForeignKey("item_banks.id"), index=True)
    #: The identifier an imported item had in its source (QTI identifier, Moodle idnumber…):
    #: importing it again makes a new version of this item, not a duplicate.
    source_id: Mapped[str | None] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    subject: Mapped[str | None] = mapped_column(String(80))
    level: Mapped[str | None] = mapped_column(String(80))
    competency: Mapped[str | None] = mapped_column(String(200))
    difficulty: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str | None] = mapped_column(String(80))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemVersion(Base):
    """One immutable state of an item's content; editing an item adds a version."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    item_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemBank(Base):
    """A bank of items owned by an organisation. A confidential bank (ministry items) is
    visible only to its members; its items appear nowhere else but in sittings using them."""

    __tablename__ = "item_banks"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankMember(Base):
    """Who may see and work on a bank's items: its authors and its reviewers."""

    __tablename__ = "bank_members"

    bank_id: Mapped[str] = mapped_column(ForeignKey("item_banks.id", ondelete="CASCADE"),
                                         primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True,
                                           index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ItemVariant(Base):
    """The parameters a parametrised item version's generator gave for one seed.

    Generators are deterministic (same version, same seed, same parameters), so a variant is
    computed once and kept: preparing a sitting fills this ahead of its start, and an attempt
    that finds its variant here does not run the generator at all."""

    __tablename__ = "item_variants"

    item_version_id: Mapped[str] = mapped_column(
        ForeignKey("item_versions.id", ondelete="CASCADE"), primary_key=True)
    seed: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemPool(Base):
    """A named selection of an organisation's published items by tags (all of them), from
    which an exam section draws; optionally limited to one bank."""

    __tablename__ = "item_pools"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    bank_id: Mapped[str | None] = mapped_column(ForeignKey("item_banks.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemImport(Base):
    """A file imported from the bulk import page, run as a task; the page follows ``done`` /
    ``total`` and shows ``result`` (what was imported and skipped) or ``error``."""

    __tablename__ = "item_imports"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    bank_id: Mapped[str | None] = mapped_column(ForeignKey("item_banks.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: queued → running → done | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_unsupported: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
