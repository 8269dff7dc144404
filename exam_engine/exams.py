"""Building exams from item versions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from exam_engine.models import Exam, ExamItem
from item_bank import pools
from item_bank import service as items
from item_bank.models import ItemBank, ItemVersion
from item_bank.workflow import ItemStatus

#: Most items one section may draw.
MAX_DRAW = 100


def create_exam(
    session: Session, organisation_id: str, title: str, author_id: str | None = None,
    item_ids: list[str] | None = None, shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> Exam:
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid("exam_invalid", field="title")
    exam = Exam(organisation_id=organisation_id, title=title, created_by=author_id,
                shuffle_questions=shuffle_questions, shuffle_options=shuffle_options)
    session.add(exam)
    session.flush()
    for item_id in item_ids or []:
        add_item(session, exam, item_id)
    return exam


def _next_position(session: Session, exam: Exam) -> int:
    last = session.scalar(
        select(func.coalesce(func.max(ExamItem.position), -1)).where(ExamItem.exam_id == exam.id)
    )
    return int(last if last is not None else -1) + 1


def add_item(session: Session, exam: Exam, item_id: str) -> ExamItem:
    """Append an item, pinned to its latest version at this moment.

    A retired item is refused; so is an item of a confidential bank that is not published
    (a ministry item goes through review before any sitting shows it)."""
    item = items.get_item(session, item_id)
    if item.organisation_id != exam.organisation_id:
        raise Invalid("exam_invalid", field="items")
    if item.status == ItemStatus.RETIRED:
        raise Invalid("exam_item_retired", title=item.title)
    if item.status != ItemStatus.PUBLISHED and item.bank_id is not None:
        bank = session.get(ItemBank, item.bank_id)
        if bank is not None and bank.confidential:
            raise Invalid("exam_item_unpublished", title=item.title)
    version = items.latest_version(session, item_id)
    entry = ExamItem(exam_id=exam.id, position=_next_position(session, exam),
                     item_version_id=version.id)
    session.add(entry)
    session.flush()
    return entry


def add_section(
    session: Session, exam: Exam, pool_id: str, count: int,
    difficulty_min: int | None = None, difficulty_max: int | None = None,
) -> ExamItem:
    """Append a section drawing ``count`` published items of a pool for each attempt.

    The pool must hold at least ``count`` items in the band now; an attempt that finds
    fewer (items retired since) gets the ones there are."""
    pool = pools.get_pool(session, pool_id)
    if pool.organisation_id != exam.organisation_id:
        raise Invalid("exam_invalid", field="pool")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_DRAW:
        raise Invalid("exam_invalid", field="draw_count")
    band = pools.Band(difficulty_min, difficulty_max)
    available = len(pools.eligible(session, pool, band))
    if available < count:
        raise Invalid("pool_too_small", available=available, count=count, pool=pool.name)
    entry = ExamItem(exam_id=exam.id, position=_next_position(session, exam), pool_id=pool.id,
                     draw_count=count, difficulty_min=band.low, difficulty_max=band.high)
    session.add(entry)
    session.flush()
    return entry


def exam_entries(session: Session, exam_id: str) -> list[ExamItem]:
    """The exam's entries (fixed items and sections) in authored order."""
    return list(session.scalars(select(ExamItem).where(ExamItem.exam_id == exam_id)
                                .order_by(ExamItem.position)))


def question_count(session: Session, exam_id: str) -> int:
    """How many questions an attempt of the exam shows (sections count their draw)."""
    return sum(e.draw_count or 0 if e.pool_id else 1 for e in exam_entries(session, exam_id))


def get_exam(session: Session, exam_id: str) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound("exam_not_found")
    return exam


def exam_versions(session: Session, exam_id: str) -> list[ItemVersion]:
    """The pinned item versions in authored order (sections, drawn per attempt, left out)."""
    return list(
        session.scalars(
            select(ItemVersion)
            .join(ExamItem, ExamItem.item_version_id == ItemVersion.id)
            .where(ExamItem.exam_id == exam_id)
            .order_by(ExamItem.position)
        )
    )


def exams_of(session: Session, organisation_ids: set[str]) -> list[Exam]:
    return list(
        session.scalars(
            select(Exam).where(Exam.organisation_id.in_(organisation_ids))
            .order_by(Exam.created_at.desc())
        )
    )
