"""Exercises and their tests, assignments with extensions, submissions and drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ardoise.clock import utcnow
from ardoise.db import Base, UTCDateTime
from ardoise.ids import new_id


class Exercise(Base):
    """A coding exercise: a bilingual statement (Markdown), starter code, a reference
    solution run against the tests whenever the exercise is saved, and limits.

    A ``notebook`` exercise holds instead the teacher's Jupyter notebook (nbgrader
    metadata; ``coding_lab.notebook_exercises``): its solutions are the reference,
    graded against its own tests when it is saved, and students hand in ``.ipynb`` files.
    The notebook holds the answers and the hidden tests: it never leaves the trusted side
    except as its student version.
    """

    __tablename__ = "exercises"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: ``code`` (the student writes a program) or ``notebook`` (the student hands in a notebook)
    kind: Mapped[str] = mapped_column(String(16), default="code", server_default="code")
    language: Mapped[str] = mapped_column(String(20))
    statement: Mapped[dict[str, str]] = mapped_column(JSON)
    starter_code: Mapped[str] = mapped_column(Text, default="")
    solution_code: Mapped[str] = mapped_column(Text)
    points: Mapped[float] = mapped_column(Float, default=100.0)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=2.0)
    memory_mb: Mapped[int] = mapped_column(Integer, default=256)
    comparison: Mapped[str] = mapped_column(String(24), default="trailing_whitespace")
    tolerance: Mapped[float] = mapped_column(Float, default=0.0)
    relative_tolerance: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A notebook exercise's teacher notebook (nbformat JSON, outputs cleared).
    notebook: Mapped[str | None] = mapped_column(Text)
    #: A notebook exercise's per-cell timeout, in seconds.
    cell_timeout: Mapped[float | None] = mapped_column(Float)
    #: draft → published; only an exercise whose solution passes every test is published.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: When the reference solution last passed every test (None: it fails or never ran).
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExerciseTest(Base):
    """An input/output test (``stdin`` → ``expected``) or a Python function test (``code``)."""

    __tablename__ = "exercise_tests"
    __table_args__ = (UniqueConstraint("exercise_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"),
                                             index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    stdin: Mapped[str] = mapped_column(Text, default="")
    expected: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hint: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    stop_on_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The test's own comparison; the exercise's when None.
    comparison: Mapped[str | None] = mapped_column(String(24))
    tolerance: Mapped[float | None] = mapped_column(Float)
    relative_tolerance: Mapped[bool | None] = mapped_column(Boolean)


class Assignment(Base):
    """An exercise given to a class: when it is due, what lateness costs, how often one
    may submit."""

    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Submissions are refused after this (None: as late as one likes, at a cost).
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Points lost per started day late, in percent of the score.
    late_penalty_percent: Mapped[float] = mapped_column(Float, default=0.0)
    attempt_limit: Mapped[int | None] = mapped_column(Integer)
    min_delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentExtension(Base):
    """One student's own due date (and close) for an assignment."""

    __tablename__ = "assignment_extensions"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    granted_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))


class Submission(Base):
    """One submit: the files as sent, then the grade the harness gave them."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", "number"),
        Index("ix_submissions_assignment_student", "assignment_id", "student_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"))
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Started days after the student's due date (0: on time).
    days_late: Mapped[int] = mapped_column(Integer, default=0)
    #: queued → running → graded (or error, when the sandbox itself failed)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    raw_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    compile_output: Mapped[str | None] = mapped_column(Text)
    #: A notebook submission: the ``grade_id`` of each locked or test cell the student
    #: altered (graded from the teacher's version whatever they sent).
    tampered: Mapped[list[str] | None] = mapped_column(JSON)
    #: A notebook submission: the feedback notebook (nbformat JSON) per interface language,
    #: hidden tests reduced to pass/fail.
    feedback: Mapped[dict[str, str] | None] = mapped_column(JSON)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CodeDraft(Base):
    """The editor's autosaved draft of a student's code for an assignment."""

    __tablename__ = "code_drafts"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
