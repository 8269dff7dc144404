"""Building exams from item versions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from exam_engine.models import Exam, ExamItem
from item_bank import service as items
from item_bank.models import ItemVersion


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


def add_item(session: Session, exam: Exam, item_id: str) -> ExamItem:
    """Append an item, pinned to its latest version at this moment."""
    item = items.get_item(session, item_id)
    if item.organisation_id != exam.organisation_id:
        raise Invalid("exam_invalid", field="items")
    version = items.latest_version(session, item_id)
    last = session.scalar(
        select(func.coalesce(func.max(ExamItem.position), -1)).where(ExamItem.exam_id == exam.id)
    )
    entry = ExamItem(exam_id=exam.id, position=int(last if last is not None else -1) + 1,
                     item_version_id=version.id)
    session.add(entry)
    session.flush()
    return entry


def get_exam(session: Session, exam_id: str) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound("exam_not_found")
    return exam


def exam_versions(session: Session, exam_id: str) -> list[ItemVersion]:
    """The pinned item versions in authored order."""
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
