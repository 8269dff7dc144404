"""Item pools: an organisation's published items selected by tags, for exams to draw from.

A pool names a set of tags (an item belongs when it carries all of them) and optionally one
bank. An exam section draws N items from a pool within a difficulty band; the draw for an
attempt is fixed by the attempt's seed (:func:`draw`), prefers items the student has not
seen in an earlier attempt, and the slot keeps the exact version drawn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Conflict, Invalid, NotFound
from item_bank.models import Item, ItemPool
from item_bank.workflow import ItemStatus, clean_metadata


def create_pool(
    session: Session, organisation_id: str, name: str, tags: list[str],
    bank_id: str | None = None, creator_id: str | None = None,
) -> ItemPool:
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid("pool_invalid", field="name")
    clean = clean_metadata({"tags": tags})["tags"]
    if not clean:
        raise Invalid("pool_invalid", field="tags")
    if bank_id is not None:
        from item_bank.banks import get_bank

        if get_bank(session, bank_id).organisation_id != organisation_id:
            raise Invalid("pool_invalid", field="bank")
    if session.scalar(select(ItemPool.id).where(ItemPool.organisation_id == organisation_id,
                                                ItemPool.name == name)):
        raise Conflict("pool_exists", name=name)
    pool = ItemPool(organisation_id=organisation_id, name=name, tags=clean, bank_id=bank_id,
                    created_by=creator_id)
    session.add(pool)
    session.flush()
    return pool


def get_pool(session: Session, pool_id: str) -> ItemPool:
    pool = session.get(ItemPool, pool_id)
    if pool is None:
        raise NotFound("pool_not_found")
    return pool


def pools_of(session: Session, organisation_ids: set[str]) -> list[ItemPool]:
    return list(session.scalars(select(ItemPool).where(
        ItemPool.organisation_id.in_(organisation_ids)).order_by(ItemPool.name)))


@dataclass(frozen=True)
class Band:
    """A difficulty band, inclusive; ``None`` leaves that side open."""

    low: int | None = None
    high: int | None = None

    def __post_init__(self) -> None:
        for value in (self.low, self.high):
            if value is not None and value not in range(1, 6):
                raise Invalid("exam_invalid", field="difficulty")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise Invalid("exam_invalid", field="difficulty")

    def admits(self, difficulty: int | None) -> bool:
        if self.low is None and self.high is None:
            return True
        if difficulty is None:
            return False
        return (self.low is None or difficulty >= self.low) and \
            (self.high is None or difficulty <= self.high)


def _published(session: Session, pool: ItemPool) -> list[tuple[str, int, int | None]]:
    """(item id, latest version number, difficulty) of the pool's published items, by id."""
    query = select(Item.id, Item.latest_version, Item.tags, Item.difficulty).where(
        Item.organisation_id == pool.organisation_id, Item.status == ItemStatus.PUBLISHED)
    if pool.bank_id is not None:
        query = query.where(Item.bank_id == pool.bank_id)
    wanted = set(pool.tags)
    return sorted((item_id, number, difficulty) for item_id, number, tags, difficulty
                  in session.execute(query) if wanted <= set(tags or ()))


def eligible(session: Session, pool: ItemPool, band: Band) -> list[tuple[str, int]]:
    """(item id, latest version number) of the pool's published items in the band, by id."""
    return [(item_id, number) for item_id, number, difficulty in _published(session, pool)
            if band.admits(difficulty)]


def eligible_with_difficulty(session: Session, pool: ItemPool) -> list[tuple[str, int | None]]:
    """(item id, difficulty) of every published item of the pool: what sections can draw."""
    return [(item_id, difficulty) for item_id, _n, difficulty in _published(session, pool)]


def draw(
    candidates: list[str], count: int, seed: int, position: int, exclude: set[str],
    seen: set[str],
) -> list[str]:
    """``count`` item ids for one section of one attempt: the same seed, position and
    arguments always give the same draw. Items already in the attempt (``exclude``) are
    never drawn; items the student saw before (``seen``) only when the unseen ones run out.
    Fewer than ``count`` come back only when the pool has no more."""
    rng = random.Random(f"draw:{seed}:{position}")
    available = sorted(set(candidates) - exclude)
    fresh = [i for i in available if i not in seen]
    again = [i for i in available if i in seen]
    rng.shuffle(fresh)
    rng.shuffle(again)
    return (fresh + again)[:count]
