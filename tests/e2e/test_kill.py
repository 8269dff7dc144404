"""SIGKILL the server while students save: no acknowledged save is lost, replay converges.

ARCHITECTURE.md, "The answer path", rules 1, 2 and 5: the server acknowledges a save
only after it is committed; the page keeps every un-acknowledged save in its outbox and
replays it after a reconnect; a replayed save that the server had committed (its ack was
lost with the server) is acknowledged again without a second write.

This test needs a server of its own (the shared ``stack.server`` serves other tests): it
runs on the same PostgreSQL database and Redis as the stack, with a fresh data dir.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import socketio

from ardoise.clock import parse_iso
from tests.e2e.conftest import Stack
from tests.e2e.helpers import (
    NAMESPACE,
    ExamClient,
    Member,
    Started,
    attempt_row,
    chain_hashes,
    log_rows,
    row_entries,
    save_payload,
    seed_school,
    slot_rows,
    start_attempt,
    varied_response,
    wait_until,
)
from tests.e2e.live import LiveServer, product_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

STUDENTS = 5
WINDOW = 3  # saves a page keeps in flight while it flushes its outbox
ACKED_BEFORE_KILL = 40  # per student, at least, before the server is killed
SAVES_AFTER_RESTART = 5


class Page:
    """One student's exam page: a Socket.IO connection and an outbox of un-acked saves."""

    def __init__(self, member: Member, started: Started) -> None:
        self.member, self.started = member, started
        self.attempt_id = started.attempt_id
        self.device_id = f"page-{member.username}"
        self.client: ExamClient | None = None
        self.lock = threading.Lock()
        self.next_seq = 1
        self.made: dict[int, dict[str, Any]] = {}  # every save, by seq
        self.unacked: dict[int, dict[str, Any]] = {}  # the outbox
        self.acks: dict[int, dict[str, Any]] = {}
        self.refusals: list[tuple[int, Any]] = []

    def open(self, url: str) -> dict[str, Any]:
        self.client = ExamClient(url, token=self.member.token).connect()
        return self.client.join(self.attempt_id, device_id=self.device_id)

    def close(self) -> None:
        if self.client is not None and self.client.sio.connected:
            self.client.disconnect()

    def new_save(self) -> dict[str, Any]:
        with self.lock:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
            slot = seq % len(self.started.item_types)
            payload = save_payload(self.attempt_id, slot, seq,
                                   varied_response(self.started.item_types[slot], seq))
            self.made[seq] = self.unacked[seq] = payload
        return payload

    def acknowledged(self, seq: int, ack: Any) -> None:
        with self.lock:
            self.acks[seq] = ack
            if isinstance(ack, dict) and ack.get("ok") is True:
                self.unacked.pop(seq, None)
            else:
                self.refusals.append((seq, ack))

    def pump(self, stop: threading.Event) -> None:
        """Save without pause, up to WINDOW in flight, until ``stop`` or the link drops."""
        assert self.client is not None
        window = threading.Semaphore(WINDOW)
        while not stop.is_set():
            if not window.acquire(timeout=0.1):
                continue
            payload = self.new_save()

            def done(ack: Any = None, seq: int = payload["seq"]) -> None:
                self.acknowledged(seq, ack)
                window.release()

            try:
                self.client.sio.emit("attempt:save", payload, namespace=NAMESPACE,
                                     callback=done)
            except socketio.exceptions.SocketIOError:
                return  # disconnected: the save stays in the outbox


def is_disconnected(client: ExamClient) -> bool:
    return not client.sio.connected


def last_made_per_slot(page: Page) -> dict[int, dict[str, Any]]:
    last: dict[int, dict[str, Any]] = {}
    for seq in sorted(page.made):
        last[page.made[seq]["slot"]] = page.made[seq]
    return last


def check_database(stack: Stack, page: Page, *, complete: bool) -> dict[int, str]:
    """What the database holds for ``page``'s attempt is consistent with what it did.

    Every acknowledged save is stored with the acknowledged hash; every stored entry is
    a save the page made; each slot's current answer is its highest-seq stored save; the
    chain recomputes to the attempt's last hash. With ``complete``, every save the page
    made is stored exactly once. Returns the stored hashes by seq.
    """
    rows = log_rows(stack.database, page.attempt_id)
    seqs = [r.seq for r in rows]
    assert len(seqs) == len(set(seqs)), "a seq was stored twice"
    stored = {r.seq: r for r in rows}
    for seq, ack in page.acks.items():
        row = stored.get(seq)
        assert row is not None, f"acknowledged save seq={seq} of {page.attempt_id} was lost"
        assert row.hash == ack["hash"], (seq, ack)
        assert row.saved_at == parse_iso(ack["saved_at"]), (seq, ack)
    for row in rows:
        made = page.made.get(row.seq)
        assert made is not None, f"stored seq={row.seq} was never sent"
        assert (row.slot, json.loads(row.response_json)) == (made["slot"], made["response"])
    if complete:
        assert sorted(stored) == sorted(page.made)

    current = slot_rows(stack.database, page.attempt_id)
    for slot, answer in current.items():
        ours = [r for r in rows if r.slot == slot]
        if not ours:
            assert (answer.seq, answer.response) == (0, None), (slot, answer.seq)
            continue
        newest = max(ours, key=lambda r: r.seq)
        assert (answer.seq, answer.response) == \
            (newest.seq, json.loads(newest.response_json)), slot
    if complete:
        for slot, made in last_made_per_slot(page).items():
            assert (current[slot].seq, current[slot].response) == \
                (made["seq"], made["response"]), slot

    hashes = chain_hashes(page.attempt_id, row_entries(rows))
    assert [r.hash for r in rows] == hashes[1:]
    assert attempt_row(stack.database, page.attempt_id).last_hash == hashes[-1]
    return {seq: row.hash for seq, row in stored.items()}


@pytest.fixture
def own_server() -> Iterator[list[LiveServer]]:
    """Servers of this test (the first, then its restart); whatever is left is stopped."""
    servers: list[LiveServer] = []
    yield servers
    for server in servers:
        server.stop()


def test_sigkill_mid_run_loses_no_acknowledged_save(
        stack: Stack, tmp_path: Path, own_server: list[LiveServer]) -> None:
    data_dir = tmp_path / "kill-server"
    data_dir.mkdir()
    env = product_env(data_dir, stack.database_url, stack.redis_url)
    server = LiveServer(data_dir, env)
    own_server.append(server)
    server.start()

    seeded = seed_school(stack.database, students=STUDENTS)
    pages = [Page(member, start_attempt(server.url, member.token, seeded.sitting_id))
             for member in seeded.students]
    try:
        for page in pages:
            joined = page.open(server.url)
            assert joined["ok"] is True, joined

        # Everyone saves as fast as the window allows; the server dies mid-run.
        stop = threading.Event()
        threads = [threading.Thread(target=page.pump, args=(stop,), daemon=True)
                   for page in pages]
        for thread in threads:
            thread.start()
        wait_until(lambda: all(len(p.acks) >= ACKED_BEFORE_KILL for p in pages),
                   timeout=60, interval=0.01, what="saves before the kill")
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()
        # Once every page has seen its link drop, no acknowledgement is still on its way.
        for page in pages:
            assert page.client is not None
            wait_until(partial(is_disconnected, page.client), timeout=15,
                       what="the page to notice the dead server")

        committed: dict[str, dict[int, str]] = {}
        for page in pages:
            assert page.refusals == [], page.refusals
            committed[page.attempt_id] = check_database(stack, page, complete=False)

        # Restart on the same port; each page reconnects, joins and replays its outbox.
        restarted = LiveServer(data_dir, env, port=server.port)
        own_server.append(restarted)
        restarted.start()
        duplicates = 0
        for page in pages:
            joined = page.open(restarted.url)
            assert joined["ok"] is True and joined["state"] == "in_progress", joined
            current = slot_rows(stack.database, page.attempt_id)
            assert {s["slot"]: (s["seq"], s["response"]) for s in joined["slots"]} == \
                {slot: (row.seq, row.response) for slot, row in current.items()}

            assert page.client is not None
            for seq in sorted(page.unacked):
                ack = page.client.call("attempt:save", page.unacked[seq])
                assert ack.get("ok") is True, (seq, ack)
                stored_hash = committed[page.attempt_id].get(seq)
                if stored_hash is not None:  # committed, but its ack died with the server
                    duplicates += 1
                    assert ack["hash"] == stored_hash, (seq, ack)
                page.acknowledged(seq, ack)
            for _ in range(SAVES_AFTER_RESTART):
                payload = page.new_save()
                page.acknowledged(payload["seq"], page.client.call("attempt:save", payload))
            assert page.unacked == {} and page.refusals == [], (page.unacked, page.refusals)

        for page in pages:
            check_database(stack, page, complete=True)
        # At most the saves in flight at the kill can have been committed without an ack.
        assert duplicates <= STUDENTS * WINDOW
    finally:
        for page in pages:
            page.close()
