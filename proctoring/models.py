"""Proctoring's tables: a sitting's integrity policy, the integrity events of attempts, each
attempt's running tally, the flags the policy raised, and the reviews that outlive them.

Events, tallies and flags are *detail*: purged once the sitting's retention period has
passed (``proctoring.retention``); a review's outcome stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime


class IntegrityPolicy(Base):
    """What a sitting's integrity watch counts and does (one per sitting; a sitting without
    one counts nothing and raises no flag). Never an automatic fail: a threshold raises a
    flag, may warn the student and may pause the attempt for a proctor to resume."""

    __tablename__ = "integrity_policies"

    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            primary_key=True)
    #: Event types that are kept and counted; any other client event is dropped unseen.
    counted: Mapped[list[str]] = mapped_column(JSON)
    #: Rule name → threshold (``proctoring.policies.RULES``); a rule not named is off.
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON)
    warn_student: Mapped[bool] = mapped_column(Boolean, default=True)
    pause_on_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Days after the sitting closes when events, tallies and flags are purged.
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntegrityEvent(Base):
    """One event of an attempt, with the server's time and the client's (when it sent one)."""

    __tablename__ = "integrity_events"
    __table_args__ = (Index("ix_integrity_events_attempt_at", "attempt_id", "server_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            index=True)
    type: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(8))  # client | server
    severity: Mapped[str] = mapped_column(String(8))  # info | warning | alert
    server_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How long the student was away, on the event that ends an absence.
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    #: Only what the event's type keeps (``proctoring.events.DETAIL_KEYS``), bounded.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IntegrityTally(Base):
    """An attempt's running counts, kept beside its events so that a rate limit and the
    policy's thresholds are decided from one row, under its lock, without scanning events."""

    __tablename__ = "integrity_tallies"

    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"),
                                            primary_key=True)
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            index=True)
    #: The rate limit's current window and how many events it took.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Events dropped by the rate limit (the proctor sees that a flood happened).
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    away_ms: Mapped[int] = mapped_column(Integer, default=0)
    longest_away_ms: Mapped[int] = mapped_column(Integer, default=0)
    #: When the page was last hidden or lost focus and has not come back yet.
    away_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flags: Mapped[int] = mapped_column(Integer, default=0)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The address the attempt was last seen from (a change is an ``ip_change`` event).
    last_address: Mapped[str | None] = mapped_column(String(64))
    #: Exam-page connections that joined the attempt and are still open (all web nodes).
    connections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The last sign of the student: a join, a save or an event.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IntegrityFlag(Base):
    """A rule of the policy reached on an attempt (once per rule and attempt)."""

    __tablename__ = "integrity_flags"
    __table_args__ = (Index("ix_integrity_flags_attempt_rule", "attempt_id", "rule",
                            unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            index=True)
    rule: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrity_events.id", ondelete="SET NULL"))
    #: The count or duration that reached the threshold, and the threshold.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)


class IntegrityReview(Base):
    """A person's review of an attempt after the sitting: not reviewed → no issue,
    suspicious or violation, with a second review. Kept after the detail is purged."""

    __tablename__ = "integrity_reviews"

    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"),
                                            primary_key=True)
    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str] = mapped_column(String(16), default="not_reviewed")
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_status: Mapped[str | None] = mapped_column(String(16))
    second_note: Mapped[str] = mapped_column(Text, default="")
    second_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    second_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the sitting's detail was purged (the outcome above is all that remains).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SittingAccess(Base):
    """A sitting's access rules beside its access code, each optional and combinable: the
    exam room's address ranges, one active device per attempt, Safe Exam Browser required
    (with the Config Keys and Browser Exam Keys it accepts)."""

    __tablename__ = "sitting_access"

    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"),
                                            primary_key=True)
    #: CIDR ranges (IPv4 or IPv6) a student's address must be in; empty: any address.
    ip_ranges: Mapped[list[str]] = mapped_column(JSON, default=list)
    one_device: Mapped[bool] = mapped_column(Boolean, default=False)
    seb_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Config Keys computed from uploaded .seb files (64 lowercase hex each).
    config_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Browser Exam Keys pasted by an admin (64 lowercase hex each).
    browser_exam_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
