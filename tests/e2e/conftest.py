"""Production-shaped live fixtures: PostgreSQL, Redis, a Celery worker, a gevent server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from ardoise import migrate
from ardoise.db import Database
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.live import LiveProcess, LiveServer, product_env
from tests.services import fresh_pg_database, redis_url, worker_id


@dataclass
class Stack:
    server: LiveServer
    worker: LiveProcess
    database: Database
    database_url: str
    redis_url: str
    data_dir: Path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Started once per session: the slowest fixture of the suite."""
    data_dir = tmp_path_factory.mktemp("live")
    url = fresh_pg_database(f"ardoise_live_{worker_id()}")
    migrate.upgrade(url)
    queue = redis_url()
    env = product_env(data_dir, url, queue)
    worker = LiveProcess(["--data-dir", str(data_dir), "worker", "--concurrency", "1"], env,
                         data_dir / "worker.log")
    worker.start()
    server = LiveServer(data_dir, env)
    server.start()
    database = Database(url)
    yield Stack(server, worker, database, url, queue, data_dir)
    server.stop()
    worker.stop()
    database.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for one test module (Playwright downloads nothing)."""
    assert Path(CHROMIUM).exists(), f"Chromium is required at {CHROMIUM}"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
