"""Preparing a sitting ahead of its start, so that a join storm does not wait on generators.

For every candidate without an attempt, the attempt's seed is chosen now (kept in
``prepared_seeds``; the attempt created at the start takes it), its questions are drawn
with that seed, and the variants of its parametrised items are generated and stored in
``item_variants``. Starting the attempt then finds everything computed: same seed, same
draw (unless the pool or the student's history changed meanwhile, in which case the start
draws again and generates what it lacks), same variants.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.attempts import plan_questions
from exam_engine.exams import exam_entries, get_exam
from exam_engine.models import Attempt, PreparedSeed
from exam_engine.sittings import candidates, get_sitting
from item_bank import variants
from item_bank.service import version_type_and_content


@dataclass(frozen=True)
class Preparation:
    candidates: int  # candidates without an attempt, each with a seed now
    variants: int  # parametrised questions of theirs, each with its variant stored
    failed: int  # of those, variants whose generator failed (the start will try further seeds)


def prepare_sitting(session: Session, sitting_id: str) -> Preparation:
    """Choose the seeds, draw the questions and generate the variants of a sitting's
    candidates who have not started. Safe to run again (it keeps the seeds it chose)."""
    sitting = get_sitting(session, sitting_id)
    exam = get_exam(session, sitting.exam_id)
    started = set(session.scalars(select(Attempt.student_id).where(
        Attempt.sitting_id == sitting.id)))
    seeds = dict(session.execute(select(PreparedSeed.student_id, PreparedSeed.seed).where(
        PreparedSeed.sitting_id == sitting.id)).all())
    wanted: list[tuple[str, int]] = []
    waiting = [p for p in candidates(session, sitting) if p.id not in started]
    parametrised: dict[str, bool] = {}
    for person in waiting:
        if person.id not in seeds:
            seeds[person.id] = secrets.randbits(31)
            session.add(PreparedSeed(sitting_id=sitting.id, student_id=person.id,
                                     seed=seeds[person.id]))
        for question in plan_questions(session, exam, seeds[person.id], person.id):
            version_id = question.item_version_id
            if version_id not in parametrised:
                _type, content = version_type_and_content(session, version_id)
                parametrised[version_id] = variants.is_parametrised(content)
            if parametrised[version_id]:
                wanted.append((version_id, variants.variant_seed(seeds[person.id], version_id)))
    session.flush()
    found = variants.prepare_variants(session, wanted)
    failed = sum(1 for key in set(wanted) if found.get(key) is None)
    return Preparation(candidates=len(waiting), variants=len(set(wanted)), failed=failed)


@dataclass(frozen=True)
class PreparationStatus:
    needed: bool  # the exam has parametrised items or sections: starts draw or generate
    prepared: int  # candidates with a seed chosen ahead (or an attempt already)
    candidates: int


def preparation_status(session: Session, sitting_id: str) -> PreparationStatus:
    """How far the sitting's preparation went; ``needed`` is False when an exam has only
    fixed, plain items (a start then does nothing that preparing could spare it)."""
    sitting = get_sitting(session, sitting_id)
    entries = exam_entries(session, sitting.exam_id)
    needed = any(e.pool_id for e in entries) or any(
        variants.is_parametrised(version_type_and_content(session, e.item_version_id)[1])
        for e in entries if e.item_version_id)
    people = {p.id for p in candidates(session, sitting)}
    ready = set(session.scalars(select(PreparedSeed.student_id).where(
        PreparedSeed.sitting_id == sitting.id))) | set(session.scalars(
            select(Attempt.student_id).where(Attempt.sitting_id == sitting.id)))
    return PreparationStatus(needed, len(people & ready), len(people))
