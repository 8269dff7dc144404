"""What the real-browser tests share: Chromium, the demo server, logging in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page

from ardoise.cli.demo import DEMO_PASSWORD
from tests.e2e.live import LiveServer, product_env

#: Debian's Chromium; Playwright never downloads a browser here.
CHROMIUM = os.environ.get("ARDOISE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def seed_demo(data_dir: Path, env: dict[str, str]) -> None:
    """``ardoise demo --seed-only`` in ``data_dir``; its own words when it fails."""
    seeded = subprocess.run([sys.executable, "-m", "ardoise", "--data-dir", str(data_dir),
                             "demo", "--seed-only"], env=env, capture_output=True, text=True)
    assert seeded.returncode == 0, f"the demo seed failed:\n{seeded.stderr[-4000:]}"


def start_demo_server(data_dir: Path) -> LiveServer:
    """The product on its embedded default (SQLite, in-process tasks, process sandbox) with
    the demo school seeded, serving from ``data_dir``; the caller stops it."""
    env = product_env(data_dir, f"sqlite:///{data_dir / 'ardoise.db'}", None)
    seed_demo(data_dir, env)
    server = LiveServer(data_dir, env)
    server.start()
    return server


def log_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")


def open_watched(browser: Browser, base: str, username: str, problems: list[str],
                 locale: str = "fr-CA", password: str = DEMO_PASSWORD) -> Page:
    """A new browser context logged in as ``username``, whose console errors and page
    errors are appended to ``problems`` (a test asserts it stays empty)."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, base, username, password)
    return page
