"""Recording integrity events: kept only as the policy needs, rate-limited per attempt, counted
in the attempt's tally, and checked against the policy's thresholds.

:func:`record_event` is the one way in, for the exam page's ``integrity:event`` and for the
server's own findings (an IP change, a new device, a key mismatch). It runs in the caller's
unit of work and takes the attempt's tally row lock, so two events of one attempt are
counted one after the other, whichever web node received them.

What an event keeps is what the policy needs: a client event the policy does not count is
dropped unseen; its ``detail`` keeps only the keys its type allows (``DETAIL_KEYS``: the
length of a paste, never its text), each bounded. A flood (more than ``RATE_LIMIT`` client
events in ``RATE_WINDOW``) is cut: the extra events are not stored, only counted
(``IntegrityTally.suppressed``). Server events are never rate-limited.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid
from exam_engine import attempts as attempt_service
from exam_engine.models import Attempt, AttemptState
from proctoring.models import IntegrityEvent, IntegrityFlag, IntegrityPolicy, IntegrityTally
from proctoring.policies import (
    AWAY_ENDS,
    AWAY_STARTS,
    CLIENT_EVENTS,
    RULES,
    SERVER_EVENTS,
    counted_types,
    get_policy,
)

RATE_WINDOW = timedelta(seconds=60)
RATE_LIMIT = 60
#: A client clock further than this from the server's, or moving this much, is an anomaly.
CLOCK_SKEW = timedelta(minutes=2)
#: What each event type may keep in ``detail`` (anything else the page sends is dropped).
DETAIL_KEYS: dict[str, tuple[str, ...]] = {
    "copy": ("length",), "paste": ("length",), "cut": ("length",),
    "network_up": ("offline_ms",), "ip_change": ("from", "to"), "new_device": ("device",),
    "new_session": ("device",), "clock_skew": ("skew_ms",), "key_mismatch": ("which",),
}
MAX_DETAIL_TEXT = 64


@dataclass
class Recorded:
    """What became of an event. ``stored`` False says why (``reason``); ``flags`` are the
    rules this event made the attempt reach; ``warn`` and ``paused`` say what the student's
    page is to be told."""

    stored: bool
    reason: str | None = None
    event: IntegrityEvent | None = None
    flags: list[IntegrityFlag] = field(default_factory=list)
    warn: bool = False
    paused: bool = False


def _detail(kind: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in DETAIL_KEYS.get(kind, ()):
        value = raw.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            kept[key] = max(-10**12, min(10**12, int(value)))
        elif isinstance(value, str):
            kept[key] = value[:MAX_DETAIL_TEXT]
    return kept


def _tally(session: Session, attempt: Attempt) -> IntegrityTally:
    """The attempt's tally, locked for this unit of work (created on the first event)."""
    statement = select(IntegrityTally).where(
        IntegrityTally.attempt_id == attempt.id).with_for_update()
    tally = session.scalar(statement)
    if tally is not None:
        return tally
    try:
        with session.begin_nested():
            session.add(IntegrityTally(attempt_id=attempt.id, sitting_id=attempt.sitting_id,
                                       window_count=0, suppressed=0, counts={}, away_ms=0,
                                       longest_away_ms=0, flags=0, connections=0))
    except IntegrityError:  # another node created it first
        pass
    tally = session.scalar(statement)
    assert tally is not None
    return tally


def _rate_limited(tally: IntegrityTally, now: datetime) -> bool:
    if tally.window_start is None or now - tally.window_start >= RATE_WINDOW:
        tally.window_start, tally.window_count = now, 0
    if tally.window_count >= RATE_LIMIT:
        tally.suppressed += 1
        return True
    tally.window_count += 1
    return False


def _count(tally: IntegrityTally, kind: str, event: IntegrityEvent, now: datetime) -> None:
    counts = dict(tally.counts or {})
    counts[kind] = counts.get(kind, 0) + 1
    if kind in AWAY_STARTS and tally.away_since is None:
        tally.away_since = now
        counts["away"] = counts.get("away", 0) + 1
    elif kind in AWAY_ENDS and tally.away_since is not None:
        away = max(0, int((now - tally.away_since).total_seconds() * 1000))
        event.duration_ms = away
        tally.away_ms += away
        tally.longest_away_ms = max(tally.longest_away_ms, away)
        tally.away_since = None
    tally.counts = counts
    tally.last_event_at = now
    tally.last_seen_at = now


def _reached(policy: IntegrityPolicy, tally: IntegrityTally) -> dict[str, dict[str, Any]]:
    """Every rule of the policy the tally reaches, with what reached it."""
    reached: dict[str, dict[str, Any]] = {}
    counts = tally.counts or {}
    for name, threshold in (policy.thresholds or {}).items():
        rule = RULES.get(name)
        if rule is None:
            continue
        if name == "away_seconds":
            value: float = tally.longest_away_ms / 1000
        else:
            value = float(sum(counts.get(kind, 0) for kind in rule.counts))
        if value >= threshold:
            reached[name] = {"value": value, "threshold": threshold}
    return reached


#: Rules known raised per attempt, as last read from the database (never from a unit of work
#: that may yet roll back): a flag is never taken back, so an event whose reached rules are
#: all in here raises nothing and needs no query. Bounded; a forgotten attempt is read again.
_RAISED: OrderedDict[str, frozenset[str]] = OrderedDict()
_RAISED_KEPT = 20_000
_raised_lock = threading.Lock()


def _remember_raised(attempt_id: str, rules: set[str]) -> None:
    with _raised_lock:
        _RAISED[attempt_id] = frozenset(rules)
        _RAISED.move_to_end(attempt_id)
        while len(_RAISED) > _RAISED_KEPT:
            _RAISED.popitem(last=False)


def _raise_flags(session: Session, policy: IntegrityPolicy, attempt: Attempt,
                 tally: IntegrityTally, event: IntegrityEvent,
                 now: datetime) -> list[IntegrityFlag]:
    reached = _reached(policy, tally)
    if not reached or set(reached) <= _RAISED.get(attempt.id, frozenset()):
        return []
    raised = set(session.scalars(select(IntegrityFlag.rule).where(
        IntegrityFlag.attempt_id == attempt.id)))
    # Only what was there before this unit of work: its own flags may yet be rolled back.
    fresh = session.info.setdefault("integrity_new_flags", set())
    _remember_raised(attempt.id, {r for r in raised if (attempt.id, r) not in fresh})
    flags: list[IntegrityFlag] = []
    if event.id is None and not set(reached) <= raised:
        session.flush()  # the flag names its event
    for rule, detail in sorted(reached.items()):
        if rule in raised:
            continue  # once per rule and attempt: the counts keep growing on the tally
        flag = IntegrityFlag(attempt_id=attempt.id, sitting_id=attempt.sitting_id, rule=rule,
                             raised_at=now, event_id=event.id, detail=detail, paused=False)
        session.add(flag)
        fresh.add((attempt.id, rule))
        flags.append(flag)
    tally.flags += len(flags)
    return flags


def record_event(session: Session, attempt: Attempt, kind: str, *, now: datetime,
                 source: str = "client", client_at: datetime | None = None,
                 detail: Any = None) -> Recorded:
    """Record one event of ``attempt`` (see the module's words).

    :raises Invalid: an unknown event type (``integrity_event_invalid``).
    """
    known = CLIENT_EVENTS if source == "client" else SERVER_EVENTS
    if kind not in known:
        raise Invalid("integrity_event_invalid", field="type")
    recorded = _record(session, attempt, kind, now=now, source=source, client_at=client_at,
                       detail=detail, policy=get_policy(session, attempt.sitting_id),
                       tally_of=lambda: _tally(session, attempt))
    session.flush()
    return recorded


@dataclass(frozen=True)
class ClientEvent:
    """One event an exam page reported, as :func:`record_client_events` takes it."""

    attempt: Attempt
    kind: str
    now: datetime
    client_at: datetime | None = None
    detail: Any = None


def record_client_events(session: Session, events: Sequence[ClientEvent]
                         ) -> list[Recorded | DomainError]:
    """Record several pages' events (of one attempt or many) in the caller's unit of work,
    in order, as :func:`record_event` would one after the other: what became of each, or
    its refusal (an unknown type, which writes nothing).

    The policies are read once per sitting and the tallies locked in one statement, in
    attempt order (two web nodes' batches never wait on each other in a cycle), so an event
    costs a share of a few statements, however many the batch holds.
    """
    policies = {sitting_id: get_policy(session, sitting_id)
                for sitting_id in {e.attempt.sitting_id for e in events}}
    counting = sorted({e.attempt.id for e in events if e.kind in CLIENT_EVENTS and
                       (policy := policies[e.attempt.sitting_id]) is not None and
                       e.kind in counted_types(policy.counted)})
    tallies = {t.attempt_id: t for t in session.scalars(
        select(IntegrityTally).where(IntegrityTally.attempt_id.in_(counting))
        .order_by(IntegrityTally.attempt_id).with_for_update())} if counting else {}
    outcomes: list[Recorded | DomainError] = []
    for event in events:
        if event.kind not in CLIENT_EVENTS:
            outcomes.append(Invalid("integrity_event_invalid", field="type"))
            continue

        def tally_of(attempt: Attempt = event.attempt) -> IntegrityTally:
            tally = tallies.get(attempt.id)
            if tally is None:  # its first event: the tally is made (and locked) now
                tally = tallies[attempt.id] = _tally(session, attempt)
            return tally

        outcomes.append(_record(session, event.attempt, event.kind, now=event.now,
                                source="client", client_at=event.client_at,
                                detail=event.detail, policy=policies[event.attempt.sitting_id],
                                tally_of=tally_of))
    session.flush()
    return outcomes


def _record(session: Session, attempt: Attempt, kind: str, *, now: datetime, source: str,
            client_at: datetime | None, detail: Any, policy: IntegrityPolicy | None,
            tally_of: Callable[[], IntegrityTally]) -> Recorded:
    """One event of a known type, its policy and tally at hand (written at the caller's
    flush, except what a raised flag needs)."""
    known = CLIENT_EVENTS if source == "client" else SERVER_EVENTS
    if source == "client" and (policy is None or kind not in counted_types(policy.counted)):
        return Recorded(False, "not_counted")
    tally = tally_of()
    if source == "client" and _rate_limited(tally, now):
        return Recorded(False, "rate_limited")
    event = IntegrityEvent(attempt_id=attempt.id, sitting_id=attempt.sitting_id, type=kind,
                           source=source, severity=known[kind], server_at=now,
                           client_at=client_at, detail=_detail(kind, detail))
    session.add(event)
    _count(tally, kind, event, now)
    recorded = Recorded(True, event=event)
    if source == "client" and client_at is not None:
        _check_clock(session, attempt, tally, client_at, now)
    if policy is None:
        return recorded
    recorded.flags = _raise_flags(session, policy, attempt, tally, event, now)
    if recorded.flags:
        recorded.warn = policy.warn_student
        if policy.pause_on_flag and attempt.state is AttemptState.IN_PROGRESS and \
                attempt.paused_at is None:
            attempt_service.pause(session, attempt, now)
            for flag in recorded.flags:
                flag.paused = True
            recorded.paused = True
    return recorded


def _check_clock(session: Session, attempt: Attempt, tally: IntegrityTally,
                 client_at: datetime, now: datetime) -> None:
    """A client clock far from the server's, or one that jumped since the last event, is
    recorded once per change as ``clock_skew`` (the page's own times are then unreliable)."""
    skew_ms = int((client_at - now).total_seconds() * 1000)
    counts = dict(tally.counts or {})
    last = counts.get("last_skew_ms")
    jumped = last is not None and abs(skew_ms - last) > CLOCK_SKEW.total_seconds() * 1000
    far = abs(skew_ms) > CLOCK_SKEW.total_seconds() * 1000 and last is None
    counts["last_skew_ms"] = skew_ms
    tally.counts = counts
    if jumped or far:
        event = IntegrityEvent(attempt_id=attempt.id, sitting_id=attempt.sitting_id,
                               type="clock_skew", source="server",
                               severity=SERVER_EVENTS["clock_skew"], server_at=now,
                               client_at=client_at, detail={"skew_ms": skew_ms})
        session.add(event)
        _count(tally, "clock_skew", event, now)


def events_of(session: Session, attempt_id: str) -> list[IntegrityEvent]:
    """An attempt's timeline, oldest first."""
    return list(session.scalars(select(IntegrityEvent).where(
        IntegrityEvent.attempt_id == attempt_id).order_by(IntegrityEvent.server_at,
                                                          IntegrityEvent.id)))


def flags_of(session: Session, attempt_id: str) -> list[IntegrityFlag]:
    return list(session.scalars(select(IntegrityFlag).where(
        IntegrityFlag.attempt_id == attempt_id).order_by(IntegrityFlag.raised_at)))


def seen_from(session: Session, attempt: Attempt, address: str | None,
              now: datetime) -> Recorded | None:
    """Note the address ``attempt`` is used from; a change from the last one is recorded as
    an ``ip_change`` server event (returned), the first address is only noted."""
    if not address:
        return None
    tally = _tally(session, attempt)
    before, tally.last_address = tally.last_address, address[:64]
    if before is None or before == tally.last_address:
        session.flush()
        return None
    return record_event(session, attempt, "ip_change", now=now, source="server",
                        detail={"from": before, "to": address})


def flags_by_attempt(session: Session, sitting_id: str) -> dict[str, list[str]]:
    """Each attempt's raised rules, in the order they were raised (the proctor's view)."""
    found: dict[str, list[str]] = {}
    for attempt_id, rule in session.execute(
            select(IntegrityFlag.attempt_id, IntegrityFlag.rule).where(
                IntegrityFlag.sitting_id == sitting_id).order_by(IntegrityFlag.raised_at,
                                                                IntegrityFlag.id)).all():
        found.setdefault(attempt_id, []).append(rule)
    return found


def connected(session: Session, attempt: Attempt, now: datetime, joined: bool) -> None:
    """An exam page joined the attempt (``joined``) or its connection closed."""
    tally = _tally(session, attempt)
    tally.connections = max(0, (tally.connections or 0) + (1 if joined else -1))
    tally.last_seen_at = now
    session.flush()


@dataclass(frozen=True)
class Presence:
    connections: int
    last_seen_at: datetime | None


def presence(session: Session, sitting_id: str) -> dict[str, Presence]:
    """Each attempt's open exam-page connections and last sign of life (attempts that never
    joined a page have none)."""
    return {row.attempt_id: Presence(row.connections or 0, row.last_seen_at)
            for row in session.execute(select(
                IntegrityTally.attempt_id, IntegrityTally.connections,
                IntegrityTally.last_seen_at).where(IntegrityTally.sitting_id == sitting_id))}
