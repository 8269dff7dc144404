"""Group commit: many callers' small writes applied together in one unit of work.

A web process handles hundreds of saves and integrity events a second, each a short
transaction of a few statements; most of its CPU goes to the round trips, not to the work.
A :class:`GroupCommit` lets concurrent callers share one transaction: each caller hands in
its request and blocks until the request's own result (or exception) is ready.

There is no timer and no added delay. The first caller to find no batch in flight applies
its request at once, alone; requests that arrive while a batch is being applied wait and
form the next batch, which one of their callers applies (a hand-off: the caller that applied
a batch returns as soon as it is done). So batches stay at one request on a quiet server and
grow with the load, which is when sharing the round trips pays.

The primitives are the ``threading`` module's, which gevent's monkey patching makes
cooperative: the same code serves threads (tests, the embedded default) and greenlets
(``ardoise serve``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


class _Pending(Generic[Request, Result]):
    __slots__ = ("request", "result", "error", "done", "lead")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False  # woken to apply the next batch rather than with a result


class GroupCommit(Generic[Request, Result]):
    """Apply requests in batches with ``apply(requests)``, which returns one result or
    exception per request, in order (its requests' own refusals). When ``apply`` raises, it
    must have written nothing (one unit of work): the requests of that batch are then
    applied again one at a time, each caller getting its own request's outcome."""

    def __init__(self, apply: Callable[[Sequence[Request]], Sequence[Result | BaseException]],
                 *, max_batch: int = 64, name: str = "") -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        self._apply = apply
        self.name = name or getattr(apply, "__qualname__", "batch")
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Pending[Request, Result]] = []
        self._busy = False
        #: Batches applied and requests in them (the benchmark and the tests read them).
        self.batches = 0
        self.requests = 0
        self._reported = (0, 0)
        _groups.add(self)

    def submit(self, request: Request) -> Result:
        """Apply ``request`` in the next batch; its result, or its exception raised."""
        pending: _Pending[Request, Result] = _Pending(request)
        with self._lock:
            self._queue.append(pending)
            lead = not self._busy
            self._busy = True
        if not lead:
            pending.done.wait()
            if not pending.lead:
                return self._outcome(pending)
        # This caller applies the next batch, which holds its own request (it was the first
        # in the queue), then hands the one after to a waiting caller.
        with self._lock:
            batch = self._queue[:self.max_batch]
            del self._queue[:self.max_batch]
        self._run(batch)
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.done.set()
            else:
                self._busy = False
        return self._outcome(pending)

    def _run(self, batch: list[_Pending[Request, Result]]) -> None:
        requests = [p.request for p in batch]
        try:
            outcomes = self._call(requests)
        except Exception as error:
            # The batch wrote nothing: each of its requests is applied again alone, so
            # that one request's trouble (or a lost connection) is nobody else's.
            outcomes = [error] if len(batch) == 1 else [self._alone(r) for r in requests]
        except BaseException as error:  # the process is stopping: every request fails
            outcomes = [error] * len(batch)
        self.batches += 1
        self.requests += len(batch)
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                item.error = outcome
            else:
                item.result = outcome
            item.lead = False
            item.done.set()

    def _call(self, requests: list[Request]) -> list[Result | BaseException]:
        outcomes = list(self._apply(requests))
        if len(outcomes) != len(requests):
            raise RuntimeError("a batch must give one outcome per request")
        return outcomes

    def _alone(self, request: Request) -> Result | BaseException:
        try:
            return self._call([request])[0]
        except Exception as error:
            return error

    @staticmethod
    def _outcome(pending: _Pending[Request, Result]) -> Result:
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]


_groups: weakref.WeakSet[GroupCommit[Any, Any]] = weakref.WeakSet()


def activity() -> list[tuple[str, int, int]]:
    """Each group's requests and batches since the last call (for a node's periodic log)."""
    seen = []
    for group in list(_groups):
        requests, batches = group.requests, group.batches
        before = group._reported
        group._reported = (requests, batches)
        if requests > before[0]:
            seen.append((group.name, requests - before[0], batches - before[1]))
    return sorted(seen)
