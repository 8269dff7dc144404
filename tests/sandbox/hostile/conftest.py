"""Fixtures of the hostile suite: each backend once per session, a host guard per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.backends import get_backend
from tests.sandbox.hostile.harness import BACKENDS, BackendUnderTest
from tests.sandbox.hostile.host import HostGuard


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> BackendUnderTest:
    """The backend under test; when it cannot run here, every test using it fails with the
    reason (a missing backend is a failure, never a skip)."""
    name = request.param
    try:
        get_backend(name)
    except Exception as exc:  # noqa: BLE001 - an import error or a missing primitive alike
        return BackendUnderTest(name, f"{type(exc).__name__}: {exc}")
    return BackendUnderTest(name, None)


@pytest.fixture
def host(tmp_path: Path, backend: BackendUnderTest) -> Iterator[HostGuard]:
    guard = HostGuard(tmp_path, backend.name)
    try:
        yield guard
    finally:
        guard.close()
