"""The data side of bench/exam_load.py: fresh databases, seeding through the services, checks.

Seeding goes through the product's services (as tests/factories.py does): one
school, one class of N students (no password: hashing N passwords with argon2
would dominate the setup), one API token each, a five-question exam (one item
of each built-in type) and a sitting open for three hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg2
from psycopg2 import sql
from sqlalchemy import text

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import exams, sittings
from exam_engine.models import DisplayMode
from item_bank import service as items
from student_records import service as records
from student_records.models import Organisation, OrgKind, Role

ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("single_choice", {"stem": {"fr": "Capitale du Canada?", "en": "Capital of Canada?"},
                       "options": [{"id": "a", "text": {"fr": "Ottawa"}},
                                   {"id": "b", "text": {"fr": "Toronto"}},
                                   {"id": "c", "text": {"fr": "Montréal"}}],
                       "correct": "a"}),
    ("multiple_response", {"stem": {"fr": "Nombres premiers?"},
                           "options": [{"id": "a", "text": {"fr": "2"}},
                                       {"id": "b", "text": {"fr": "4"}},
                                       {"id": "c", "text": {"fr": "5"}}],
                           "correct": ["a", "c"], "points": 2}),
    ("true_false", {"stem": {"fr": "1 + 1 = 2"}, "correct": True}),
    ("numeric", {"stem": {"fr": "Valeur de π?"}, "answer": 3.1416, "tolerance": 0.01}),
    ("short_text", {"stem": {"fr": "Quel fleuve passe à Québec?"},
                    "answers": ["Saint-Laurent"], "ignore_accents": True}),
]
BATCH = 500  # students per transaction while seeding


def recreate_pg_database(admin_url: str, name: str) -> str:
    """Drop (if present) and create database ``name``; return its URL."""
    drop_pg_database(admin_url, name)
    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    conn.close()


def seed(url: str, students: int) -> dict[str, Any]:
    """Create the school, the exam, the sitting and ``students`` students with a token each."""
    database = Database(url)
    try:
        with database.session() as session:
            board = records.create_organisation(session, "Bench Board", OrgKind.BOARD)
            school = records.create_organisation(session, "Bench School", OrgKind.SCHOOL, board)
            klass = records.create_class(session, school, "Banc d'essai 5", "BENCH5")
            teacher = records.create_person(session, "bench-teacher", given_name="Bench",
                                            family_name="Teacher")
            records.assign_role(session, teacher, Role.TEACHER, school)
            records.enrol(session, klass, teacher, Role.TEACHER)
            versions = [items.create_item(session, school.id, kind, f"Q{i}", content,
                                          author_id=teacher.id)
                        for i, (kind, content) in enumerate(ITEMS)]
            exam = exams.create_exam(session, school.id, "Bench exam", teacher.id,
                                     [v.item_id for v in versions])
            now = utcnow()
            sitting = sittings.schedule_sitting(
                session, exam, title="Bench sitting", opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=3), time_limit_seconds=3 * 3600,
                class_id=klass.id, display_mode=DisplayMode.ONE_PER_SCREEN,
                author_id=teacher.id)
            school_id, class_id, sitting_id = school.id, klass.id, sitting.id
        tokens: list[str] = []
        for first in range(0, students, BATCH):
            with database.session() as session:
                school = session.get(Organisation, school_id)
                klass = records.get_class(session, class_id)
                assert school is not None
                for n in range(first, min(students, first + BATCH)):
                    person = records.create_person(session, f"bench{n:05d}", given_name="Élève",
                                                   family_name=f"{n:05d}")
                    records.assign_role(session, person, Role.STUDENT, school)
                    records.enrol(session, klass, person, Role.STUDENT)
                    _token, clear = records.create_token(session, person, "bench")
                    tokens.append(clear)
        return {"sitting_id": sitting_id, "tokens": tokens}
    finally:
        database.dispose()


@dataclass
class Audit:
    """What the database holds against what the clients were told."""

    acked: int = 0
    lost: int = 0  # acked (attempt, seq) missing from answer_log
    hash_mismatch: int = 0  # present, but with another hash than the ack said
    attempts_short: int = 0  # attempts whose stored count or max seq is below the client's
    stored_unacked: int = 0  # stored saves the client never got an ack for (timeouts)
    receipts_checked: int = 0
    receipts_wrong: int = 0  # receipt differs from the database's or from the last acked hash
    submitted_in_db: int = 0
    graded_in_db: int = 0


def audit(url: str, acked: dict[str, list[list[Any]]], receipts: dict[str, str]) -> Audit:
    """Check every acknowledged save against ``answer_log`` and every receipt against attempts."""
    result = Audit()
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            stored: dict[str, dict[int, str]] = {}
            for attempt_id, seq, digest in conn.execute(
                    text("SELECT attempt_id, seq, hash FROM answer_log")):
                stored.setdefault(attempt_id, {})[seq] = digest
            db_receipts = dict(conn.execute(text(
                "SELECT id, receipt FROM attempts WHERE state = 'submitted'")).all())
            result.graded_in_db = conn.execute(text(
                "SELECT count(*) FROM attempts WHERE graded_at IS NOT NULL")).scalar_one()
    finally:
        database.dispose()
    result.submitted_in_db = len(db_receipts)
    for attempt_id, entries in acked.items():
        mine = stored.get(attempt_id, {})
        result.acked += len(entries)
        for seq, digest in entries:
            if seq not in mine:
                result.lost += 1
            elif mine[seq] != digest:
                result.hash_mismatch += 1
        acked_seqs = {seq for seq, _ in entries}
        if entries and (len(mine) < len(entries) or max(mine, default=0) < max(acked_seqs)):
            result.attempts_short += 1
        result.stored_unacked += len(set(mine) - acked_seqs)
    for attempt_id, receipt in receipts.items():
        result.receipts_checked += 1
        entries = acked.get(attempt_id) or []
        expected = max(entries)[1] if entries else None
        if db_receipts.get(attempt_id) != receipt or (expected and expected != receipt):
            result.receipts_wrong += 1
    return result


def count_graded(url: str) -> int:
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM attempts WHERE graded_at IS NOT NULL")).scalar_one())
    finally:
        database.dispose()
