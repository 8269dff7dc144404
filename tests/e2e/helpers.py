"""Shared helpers for the live answer-path tests: seeding, REST, Socket.IO, the hash chain.

Everything here talks to a live server the way an outside client would (``requests``
and the real ``socketio.Client`` over websocket). The hash chain is recomputed with
this module's own sha256 code, written from ARCHITECTURE.md, never with the product's.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import socketio
from sqlalchemy import select

from ardoise.clock import parse_iso, utcnow
from ardoise.db import Database
from ardoise.ids import new_id
from exam_engine import attempts, sittings
from exam_engine.models import AnswerLogEntry, Attempt, AttemptSlot, DisplayMode
from proctoring import policies
from student_records import service as records
from tests.factories import ITEMS, PASSWORD, RIGHT, WRONG, School, make_school, open_sitting

NAMESPACE = "/exam"
TIMEOUT = 10.0
SERVER_EVENTS = ("timer:sync", "announcement", "attempt:state", "attempt:closed",
                 "integrity:warning", "proctor:event")
# The live servers of tests/e2e/live.py are started with these.
SAVE_GRACE_SECONDS = 1.0
SWEEP_INTERVAL_SECONDS = 0.5

T = TypeVar("T")


# -- waiting -----------------------------------------------------------------------------

def wait_until(probe: Callable[[], T], timeout: float = TIMEOUT, interval: float = 0.1,
               what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def sleep_until(moment: datetime, margin: float = 0.0) -> None:
    """Sleep until the wall clock (shared by the test and the server: same host) passes it."""
    remaining = (moment - utcnow()).total_seconds() + margin
    if remaining > 0:
        time.sleep(remaining)


# -- seeding -----------------------------------------------------------------------------

def unique_prefix() -> str:
    return f"e2e{new_id()[-6:]}_"


@dataclass
class Member:
    id: str
    username: str
    token: str


@dataclass
class Seeded:
    prefix: str
    school_id: str
    sitting_id: str
    teacher: Member
    proctor: Member
    students: list[Member]


def seed_school(database: Database, *, students: int = 2, time_limit: int | None = 3600
                ) -> Seeded:
    """A school of its own (unique prefix), an open sitting, and an API token per person."""
    prefix = unique_prefix()
    with database.session() as session:
        world = make_school(session, prefix, students=students)
        sitting = open_sitting(session, world, time_limit=time_limit)

        def member(person: Any) -> Member:
            _, clear = records.create_token(session, person, label="e2e")
            return Member(person.id, person.username, clear)

        seeded = Seeded(prefix, world.school.id, sitting.id, member(world.teacher),
                        member(world.proctor), [member(p) for p in world.students])
    return seeded


# -- responses ---------------------------------------------------------------------------

ITEM_TYPES = [kind for kind, _ in ITEMS]
POINTS = {kind: float(content.get("points", 1)) for kind, content in ITEMS}


def watched_sitting(database: Database, title: str, focus_losses: int
                    ) -> tuple[School, str]:
    """A school of two students and an hour-long sitting, open now, whose policy counts the
    tab being left and flags at ``focus_losses``: the school and the sitting's id."""
    prefix = unique_prefix()
    with database.session() as session:
        world = make_school(session, prefix, students=2)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, world.exam, title=f"{prefix}{title}", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
            class_id=world.klass.id, display_mode=DisplayMode.ONE_PER_SCREEN,
            author_id=world.teacher.id)
        policies.set_policy(session, sitting.id, counted=["tab_hidden"],
                            thresholds={"focus_losses": focus_losses}, now=now)
        return world, sitting.id


def response_for(item_type: str, right: bool = True) -> Any:
    """The factory's right (or wrong) response for an item type."""
    return copy.deepcopy((RIGHT if right else WRONG)[ITEM_TYPES.index(item_type)])


# -- REST --------------------------------------------------------------------------------

class Api:
    """``requests`` with a bearer token, against one live server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=TIMEOUT)

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return self.http.post(self.base_url + path, json=body or {}, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()


@dataclass
class Started:
    attempt_id: str
    item_types: dict[int, str]  # slot -> item type
    points: dict[int, float]
    view: dict[str, Any]

    def slot_of(self, item_type: str) -> int:
        return next(s for s, kind in self.item_types.items() if kind == item_type)


def start_attempt(base_url: str, token: str, sitting_id: str) -> Started:
    api = Api(base_url, token)
    try:
        answer = api.post(f"/api/v1/sittings/{sitting_id}/attempts")
    finally:
        api.close()
    assert answer.status_code in (200, 201), answer.text
    view = answer.json()
    return Started(view["attempt_id"], {s["slot"]: s["item_type"] for s in view["slots"]},
                   {s["slot"]: float(s["points"]) for s in view["slots"]}, view)


def start_attempt_for_browser(database: Database, student_id: str, sitting_id: str) -> Started:
    """Start as the student page does (no device claimed until the page joins)."""
    with database.session() as session:
        attempt = attempts.start_or_resume(session, sitting_id, student_id, utcnow())
        slots = attempts.render_slots(session, attempt)
    return Started(attempt.id, {s.slot: s.item_type for s in slots},
                   {s.slot: s.points for s in slots}, {})


def login_cookie(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Log in through the form as a browser would; return the ``Cookie`` header value."""
    http = requests.Session()
    try:
        page = http.get(base_url + "/login", timeout=TIMEOUT).text
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        csrf = page[start:page.index('"', start)]
        answer = http.post(base_url + "/login", timeout=TIMEOUT, allow_redirects=False,
                           data={"username": username, "password": password,
                                 "csrf_token": csrf})
        assert answer.status_code in (302, 303), answer.status_code
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    finally:
        http.close()


# -- Socket.IO ---------------------------------------------------------------------------

class ExamClient:
    """One browser tab: a real ``socketio.Client`` on the ``/exam`` namespace over websocket.

    Server events are recorded in order so that a test can wait for one.
    """

    def __init__(self, base_url: str, *, token: str | None = None, cookie: str | None = None,
                 reconnection: bool = False) -> None:
        self.base_url, self.token, self.cookie = base_url, token, cookie
        self.sio = socketio.Client(reconnection=reconnection)
        self.events: list[tuple[str, Any]] = []
        self._changed = threading.Condition()
        for name in SERVER_EVENTS:
            self.sio.on(name, self._recorder(name), namespace=NAMESPACE)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any = None) -> None:
            with self._changed:
                self.events.append((name, data))
                self._changed.notify_all()

        return record

    def connect(self) -> ExamClient:
        self.sio.connect(
            self.base_url, transports=["websocket"], namespaces=[NAMESPACE],
            auth={"token": self.token} if self.token else None,
            headers={"Cookie": self.cookie} if self.cookie else {}, wait_timeout=TIMEOUT,
        )
        return self

    def disconnect(self) -> None:
        self.sio.disconnect()

    def __enter__(self) -> ExamClient:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def call(self, event: str, data: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
        ack = self.sio.call(event, data, namespace=NAMESPACE, timeout=timeout)
        assert isinstance(ack, dict), ack
        return ack

    def join(self, attempt_id: str, device_id: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"attempt_id": attempt_id}
        if device_id is not None:
            data["device_id"] = device_id
        return self.call("attempt:join", data)

    def save(self, attempt_id: str, slot: int, seq: int, response: Any) -> dict[str, Any]:
        return self.call("attempt:save", save_payload(attempt_id, slot, seq, response))

    def submit(self, attempt_id: str) -> dict[str, Any]:
        return self.call("attempt:submit", {"attempt_id": attempt_id})

    def wait_for(self, event: str, match: Callable[[Any], bool] = lambda _: True,
                 timeout: float = TIMEOUT, after: int = 0) -> Any:
        """The first ``event`` (at index >= ``after`` in ``events``) whose data matches."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for name, data in self.events[after:]:
                    if name == event and match(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no {event!r} within {timeout}s; got {self.events[after:]!r}")
                self._changed.wait(remaining)


def save_payload(attempt_id: str, slot: int, seq: int, response: Any) -> dict[str, Any]:
    return {"attempt_id": attempt_id, "slot": slot, "seq": seq, "response": response,
            "client_ts": utcnow().isoformat().replace("+00:00", "Z")}


def assert_refused(ack: dict[str, Any], code: str) -> None:
    assert ack.get("ok") is False, ack
    assert ack.get("error") == code, ack
    assert isinstance(ack.get("message"), str) and ack["message"].strip(), ack


def cutoff_of(join_ack: dict[str, Any]) -> datetime:
    """The last moment a save is accepted: the server's deadline plus the grace."""
    return parse_iso(join_ack["deadline"]) + timedelta(seconds=SAVE_GRACE_SECONDS)


# -- the database, read through the models -----------------------------------------------

def log_rows(database: Database, attempt_id: str) -> list[AnswerLogEntry]:
    with database.session() as session:
        return list(session.scalars(
            select(AnswerLogEntry).where(AnswerLogEntry.attempt_id == attempt_id)
            .order_by(AnswerLogEntry.id)))


def slot_rows(database: Database, attempt_id: str) -> dict[int, AttemptSlot]:
    with database.session() as session:
        rows = session.scalars(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id))
        return {row.slot: row for row in rows}


def attempt_row(database: Database, attempt_id: str) -> Attempt:
    with database.session() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        return attempt


def wait_graded(database: Database, attempt_id: str, timeout: float = 20.0) -> Attempt:
    """The attempt once the Celery worker has graded it."""

    def graded() -> Attempt | None:
        attempt = attempt_row(database, attempt_id)
        return attempt if attempt.graded_at is not None else None

    attempt = wait_until(graded, timeout=timeout, interval=0.25, what="auto-grading")
    assert attempt is not None
    return attempt


# -- the hash chain, independently ----------------------------------------------------------

def canonical(attempt_id: str, entry: dict[str, Any]) -> str:
    return json.dumps({"attempt_id": attempt_id, "seq": entry["seq"], "slot": entry["slot"],
                       "response": entry["response"], "saved_at": entry["saved_at"]},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_ms(value: datetime) -> str:
    """ARCHITECTURE.md's timestamp form: ISO 8601 in UTC with milliseconds and a ``Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def row_entries(rows: list[AnswerLogEntry]) -> list[dict[str, Any]]:
    """Stored log rows as the log endpoint's entries (for recomputing the chain)."""
    return [{"seq": r.seq, "slot": r.slot, "response": json.loads(r.response_json),
             "saved_at": iso_ms(r.saved_at)} for r in rows]


def chain_hashes(attempt_id: str, entries: list[dict[str, Any]]) -> list[str]:
    """``h0 = sha256("ardoise:" + id)``, then ``h_n = sha256(h_{n-1} + canonical(e_n))``."""
    current = hashlib.sha256(("ardoise:" + attempt_id).encode("utf-8")).hexdigest()
    hashes = [current]
    for entry in entries:
        current = hashlib.sha256(
            (current + canonical(attempt_id, entry)).encode("utf-8")).hexdigest()
        hashes.append(current)
    return hashes


def varied_response(item_type: str, n: int) -> Any:
    """A valid response for ``item_type`` that differs with ``n`` (for many saves)."""
    if item_type == "single_choice":
        return {"choice": "abc"[n % 3]}
    if item_type == "multiple_response":
        return {"choices": [c for i, c in enumerate("abc") if (n >> i) & 1]}
    if item_type == "true_false":
        return {"value": n % 2 == 0}
    if item_type == "numeric":
        return {"value": f"{n},5"}
    if item_type == "short_text":
        return {"text": f"réponse n° {n}"}
    raise AssertionError(f"unknown item type {item_type}")
