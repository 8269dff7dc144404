"""Two web nodes sharing one PostgreSQL and one Redis, as the design's "N stateless web
nodes": a proctor's console on one node sees the integrity events of students on the other
(the Redis message queue carries them), a proctor's pause on one reaches the student's page
on the other, and many concurrent saves through one node (its group commit) are each
acknowledged, each stored, and chained as one after the other."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ardoise.clock import iso, utcnow
from exam_engine import chain
from proctoring import policies
from tests.e2e.conftest import Stack
from tests.e2e.helpers import (
    Api,
    ExamClient,
    attempt_row,
    log_rows,
    login_cookie,
    response_for,
    seed_school,
    start_attempt_for_browser,
)
from tests.e2e.live import LiveServer, product_env
from tests.e2e.test_proctoring_live import ProctorConsole

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def other_node(stack: Stack) -> Iterator[LiveServer]:
    """A second `ardoise serve` on the stack's database and message queue."""
    node = LiveServer(stack.data_dir, product_env(stack.data_dir, stack.database_url,
                                                  stack.redis_url))
    node.start()
    yield node
    node.stop()


def test_a_console_on_one_node_sees_students_on_the_other(stack: Stack,
                                                         other_node: LiveServer) -> None:
    seeded = seed_school(stack.database, students=1)
    student = seeded.students[0]
    with stack.database.session() as session:
        policies.set_policy(session, seeded.sitting_id, counted=["copy"],
                            thresholds={"copy_paste": 2}, now=utcnow())
    started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
    console = ProctorConsole(stack.server.url, seeded.proctor.token)  # node 1
    proctor = Api(stack.server.url, seeded.proctor.token)
    try:
        assert console.join(seeded.sitting_id)["ok"] is True
        cookie = login_cookie(other_node.url, student.username)
        with ExamClient(other_node.url, cookie=cookie) as page:  # node 2
            assert page.join(started.attempt_id, device_id="tab")["ok"] is True
            for _ in range(2):
                assert page.call("integrity:event", {"attempt_id": started.attempt_id,
                                                     "type": "copy",
                                                     "detail": {"length": 9}})["ok"] is True
            pushed = console.wait_flag("copy_paste")
            assert (pushed["attempt_id"], pushed["type"]) == (started.attempt_id, "copy")
            # The proctor acts on node 1; the page on node 2 hears it.
            assert proctor.post(f"/api/v1/attempts/{started.attempt_id}/pause"
                                ).status_code == 200
            state = page.wait_for("attempt:state", lambda d: d.get("state") == "paused")
            assert state["state"] == "paused"
            assert page.wait_for("timer:sync", lambda d: d.get("paused") is True)
            assert attempt_row(stack.database, started.attempt_id).paused_at is not None
    finally:
        proctor.close()
        console.close()


def test_concurrent_saves_through_one_node_are_each_stored_and_chained(
        stack: Stack, other_node: LiveServer) -> None:
    seeded = seed_school(stack.database, students=4)
    pages: list[tuple[ExamClient, str, int, str]] = []
    for student in seeded.students:
        started = start_attempt_for_browser(stack.database, student.id, seeded.sitting_id)
        page = ExamClient(other_node.url,
                          cookie=login_cookie(other_node.url, student.username)).connect()
        assert page.join(started.attempt_id, device_id="tab")["ok"] is True
        slot = next(iter(started.item_types))
        pages.append((page, started.attempt_id, slot, started.item_types[slot]))
    acks: dict[tuple[str, int], Any] = {}

    def save_many(page: ExamClient, attempt_id: str, slot: int, kind: str, first: int) -> None:
        for seq in range(first, first + 10):
            acks[(attempt_id, seq)] = page.save(attempt_id, slot, seq, response_for(kind))

    try:
        # Two writers per attempt (two tabs' outboxes replaying), eight at once.
        threads = [threading.Thread(target=save_many, args=(p, a, s, k, first))
                   for p, a, s, k in pages for first in (1, 11)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for page, *_ in pages:
            page.disconnect()
    assert len(acks) == 80 and all(a.get("ok") is True for a in acks.values()), acks
    for _page, attempt_id, _slot, _kind in pages:
        rows = log_rows(stack.database, attempt_id)
        assert sorted(r.seq for r in rows) == list(range(1, 21))
        for row in rows:  # each ack names the hash that was stored for it
            assert acks[(attempt_id, row.seq)]["hash"] == row.hash
        last = chain.genesis(attempt_id)
        for row in rows:  # in the order written: each hash follows the one before
            last = chain.next_hash(last, chain.canonical_entry(
                attempt_id, row.seq, row.slot, json.loads(row.response_json),
                iso(row.saved_at) or ""))
            assert last == row.hash
        assert attempt_row(stack.database, attempt_id).last_hash == last
