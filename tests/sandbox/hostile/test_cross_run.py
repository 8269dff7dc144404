"""Runs against runs: two at once trying to reach each other, and a run looking for what the
previous ones left. Every channel is closed: sockets, files, SysV IPC, keyrings, /proc."""

from __future__ import annotations

import random
import uuid

from tests.sandbox.hostile.harness import (
    BackendUnderTest,
    describe,
    python_spec,
    require_probes,
    run_contained,
    run_together,
    with_limits,
)
from tests.sandbox.hostile.host import HostGuard

#: Sequential runs after the planting one: enough to come back to its slot or container.
FOLLOWERS = 6


def run_secret() -> str:
    return f"ARDOISE-RUN-SECRET-{uuid.uuid4().hex}"


def test_concurrent_runs_cannot_reach_each_other(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    secret = run_secret()
    ctx = host.context(run_secret=secret, port=random.randint(20000, 50000),
                       listen_seconds=3.5, seek_seconds=2.5)
    listener = with_limits(python_spec("cross_listen", ctx), wall_seconds=7)
    seeker = with_limits(python_spec("cross_seek", ctx), wall_seconds=7)
    heard, sought = run_together(backend, [listener, seeker], delays=[0.0, 0.4])
    assert heard.status == "ok", describe(heard)
    found = require_probes(heard, "ready", "accepted")
    assert not found["accepted"].ok, describe(heard)
    assert sought.status == "ok", describe(sought)
    assert not require_probes(sought, "found")["found"].ok, describe(sought)
    host.verify(heard, sought, secrets=[secret])


def test_following_runs_find_nothing_of_earlier_ones(backend: BackendUnderTest,
                                                     host: HostGuard) -> None:
    secret = run_secret()
    ctx = host.context(run_secret=secret, port=random.randint(20000, 50000),
                       listen_seconds=0, seek_seconds=0)
    planted = run_contained(backend, python_spec("cross_listen", ctx))
    assert planted.status == "ok", describe(planted)
    require_probes(planted, "ready")
    followers = [run_contained(backend, python_spec("cross_seek", ctx))
                 for _ in range(FOLLOWERS)]
    for result in followers:
        assert result.status == "ok", describe(result)
        assert not require_probes(result, "found")["found"].ok, describe(result)
    host.verify(planted, *followers, secrets=[secret])
