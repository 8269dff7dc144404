"""Exams, sittings, attempts, slots and the hash-chained answer log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime, str_enum
from ardoise.ids import new_id


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExamItem(Base):
    """An entry of an exam: either an item pinned to the version chosen when it was added, or
    a section drawing ``draw_count`` items from a pool (within a difficulty band) for each
    attempt, the draw fixed by the attempt's seed."""

    __tablename__ = "exam_items"
    __table_args__ = (
        UniqueConstraint("exam_id", "position"),
        CheckConstraint("(item_version_id IS NULL) <> (pool_id IS NULL)", name="one_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[str | None] = mapped_column(ForeignKey("item_versions.id"))
    pool_id: Mapped[str | None] = mapped_column(ForeignKey("item_pools.id"), index=True)
    draw_count: Mapped[int | None] = mapped_column(Integer)
    difficulty_min: Mapped[int | None] = mapped_column(Integer)
    difficulty_max: Mapped[int | None] = mapped_column(Integer)


class DisplayMode(enum.StrEnum):
    ONE_PER_SCREEN = "one"
    ALL_ON_ONE = "all"


class Sitting(Base):
    """An exam scheduled for a class or for chosen students, in a window."""

    __tablename__ = "sittings"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exams.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    access_code: Mapped[str | None] = mapped_column(String(64))
    display_mode: Mapped[DisplayMode] = mapped_column(
        str_enum(DisplayMode, 8), default=DisplayMode.ONE_PER_SCREEN
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SittingCandidate(Base):
    """A student chosen by name for a sitting (a make-up sitting, or in addition to a class)."""

    __tablename__ = "sitting_candidates"
    __table_args__ = (UniqueConstraint("sitting_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)


class PreparedSeed(Base):
    """An attempt's seed chosen ahead of the sitting, so that its question draw and its items'
    variants can be generated before the start: the attempt created at the start takes it."""

    __tablename__ = "prepared_seeds"
    __table_args__ = (UniqueConstraint("sitting_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"))
    student_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("sitting_id", "student_id"),
        Index("ix_attempts_open_deadline", "state", "deadline"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[AttemptState] = mapped_column(
        str_enum(AttemptState, 16), default=AttemptState.IN_PROGRESS
    )
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The parts of the deadline, kept so it can be recomputed and explained.
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    extension_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Cached result of exam_engine.deadline.compute for the sweeper's query.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(64))
    device_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Locked (a Safe Exam Browser key stopped matching mid-exam): saves and submits are
    #: refused ``locked`` and the clock stands still until a proctor unlocks it.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_reason: Mapped[str | None] = mapped_column(String(16))
    receipt: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Answers a person still has to mark; the attempt is fully graded when this is 0.
    awaiting_marks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AttemptSlot(Base):
    """One question of an attempt at its fixed position, with the current answer."""

    __tablename__ = "attempt_slots"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[str] = mapped_column(ForeignKey("item_versions.id"))
    option_seed: Mapped[int | None] = mapped_column(Integer)
    # The exam entry (ExamItem.position) the question came from: a fixed item or a section.
    exam_position: Mapped[int | None] = mapped_column(Integer)
    # A parametrised item's variant: the generator's seed and the parameters it gave, kept
    # with the slot so the same question is shown, scored and reviewed years later.
    variant_seed: Mapped[int | None] = mapped_column(Integer)
    variant: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    response: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    # Marked by a person (an essay); it awaits marking while ``marked_at`` is empty.
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mark_comment: Mapped[str | None] = mapped_column(Text)
    marked_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def awaiting_marking(self) -> bool:
        return self.manual and self.marked_at is None


class AnswerLogEntry(Base):
    """An append-only record of every accepted save, chained by sha256."""

    __tablename__ = "answer_log"
    __table_args__ = (UniqueConstraint("attempt_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer)
    # The response exactly as it entered the chain (canonical JSON text).
    response_json: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hash: Mapped[str] = mapped_column(String(64))
    applied: Mapped[bool] = mapped_column(Boolean, default=True)
