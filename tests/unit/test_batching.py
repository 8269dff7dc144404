"""Group commit (``ardoise.batching``): batches form under concurrency, each caller gets its
own outcome, and a failed batch fails only its own requests."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from ardoise.batching import GroupCommit


class Gate:
    """An ``apply`` that holds its first batch until released, recording every batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, requests: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(requests))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
        return [ValueError(f"odd {r}") if r % 2 else r * 10 for r in requests]


def queue_behind_first_batch(group: GroupCommit[int, int], gate: Gate, values: tuple[int, ...],
                             errors: type[Exception]) -> tuple[object, dict[int, object]]:
    """Submit 2 (its batch held by ``gate``), queue ``values`` behind it, release the gate,
    and return 2's result and each value's result (an error's text for ``errors``)."""
    first: dict[str, object] = {}
    leader = threading.Thread(target=lambda: first.setdefault("r", group.submit(2)))
    leader.start()
    assert gate.entered.wait(10)
    results: dict[int, object] = {}

    def call(value: int) -> None:
        try:
            results[value] = group.submit(value)
        except errors as error:
            results[value] = str(error)

    waiting = [threading.Thread(target=call, args=(v,)) for v in values]
    for thread in waiting:
        thread.start()
    while len(group._queue) < len(values):  # all queued behind the first batch
        threading.Event().wait(0.01)
    gate.release.set()
    for thread in [leader, *waiting]:
        thread.join(10)
    return first["r"], results


def test_a_lone_request_is_applied_at_once_in_its_own_batch() -> None:
    seen: list[list[int]] = []

    def apply(requests: Sequence[int]) -> list[int]:
        seen.append(list(requests))
        return [r + 1 for r in requests]

    group: GroupCommit[int, int] = GroupCommit(apply)
    assert group.submit(1) == 2 and group.submit(5) == 6
    assert seen == [[1], [5]] and (group.batches, group.requests) == (2, 2)


def test_requests_arriving_during_a_batch_share_the_next_one() -> None:
    gate = Gate()
    group: GroupCommit[int, int] = GroupCommit(gate, max_batch=4)
    first, results = queue_behind_first_batch(group, gate, (4, 5, 6, 8, 10), ValueError)
    assert first == 20
    assert results == {4: 40, 5: "odd 5", 6: 60, 8: 80, 10: 100}
    # The first batch alone; the five queued ones in batches of at most four.
    assert gate.batches[0] == [2]
    assert sorted(v for b in gate.batches[1:] for v in b) == [4, 5, 6, 8, 10]
    assert [len(b) for b in gate.batches[1:]] == [4, 1]
    assert group.batches == 3 and not group._busy


def test_an_apply_that_raises_fails_its_batch_and_the_group_goes_on() -> None:
    calls = {"n": 0}

    def apply(requests: Sequence[int]) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database gone")
        return list(requests)

    group: GroupCommit[int, int] = GroupCommit(apply)
    with pytest.raises(RuntimeError, match="database gone"):
        group.submit(1)
    assert group.submit(7) == 7


def test_an_apply_with_the_wrong_number_of_outcomes_is_an_error() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda rs: [])
    with pytest.raises(RuntimeError, match="one outcome per request"):
        group.submit(1)
    with pytest.raises(ValueError):
        GroupCommit(lambda rs: list(rs), max_batch=0)


def test_a_failed_batch_is_applied_again_one_request_at_a_time() -> None:
    """``apply`` fails any batch holding 5 (as a lost connection would): its batch is
    retried request by request, and only 5's caller gets the error."""
    gate = Gate()

    def apply(requests: Sequence[int]) -> list[int | BaseException]:
        if len(gate.batches) >= 1 and 5 in requests:
            gate.batches.append(list(requests))
            raise ConnectionError("connection lost")
        return gate(requests)

    group: GroupCommit[int, int] = GroupCommit(apply)
    first, results = queue_behind_first_batch(group, gate, (4, 5, 6), ConnectionError)
    assert first == 20 and results == {4: 40, 5: "connection lost", 6: 60}
    assert gate.batches == [[2], [4, 5, 6], [4], [5], [6]]


def test_activity_reports_each_group_since_the_last_report() -> None:
    from ardoise import batching

    batching.activity()  # forget what other tests did
    group: GroupCommit[int, int] = GroupCommit(lambda rs: list(rs), name="things")
    for value in range(3):
        group.submit(value)
    assert ("things", 3, 3) in batching.activity()
    assert all(name != "things" for name, *_ in batching.activity())
    group.submit(9)
    assert ("things", 1, 1) in batching.activity()
