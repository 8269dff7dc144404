"""Live server processes for end-to-end tests: `ardoise serve` and `ardoise worker`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from ardoise.db import Database
from ardoise.worker.context import bind


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveProcess:
    """One child process of the product, with its output kept in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's life
        self.proc = subprocess.Popen([sys.executable, "-m", "ardoise", *self.args],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, exactly like a crashed machine."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class LiveServer(LiveProcess):
    def __init__(self, data_dir: Path, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["--data-dir", str(data_dir), "serve", "--port", str(self.port)], env,
                         data_dir / f"server-{self.port}.log")

    def start(self) -> None:
        super().start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout}s:\n{self.log()}")


def product_env(data_dir: Path, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    env.update({
        "ARDOISE_DATA_DIR": str(data_dir),
        "ARDOISE_DATABASE_URL": database_url,
        "ARDOISE_SECRET_KEY": "e2e-secret",
        "ARDOISE_SAVE_GRACE_SECONDS": "1",
        "ARDOISE_SWEEP_INTERVAL_SECONDS": "0.5",
        # A killed worker's task comes back quickly in tests.
        "ARDOISE_CELERY_VISIBILITY_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
    })
    if redis_url:
        env["ARDOISE_REDIS_URL"] = redis_url
    return env


def bind_test_database(database_url: str) -> Database:
    """The test process's own connection to the server's database (for seeding and checks)."""
    db = Database(database_url)
    bind(db)
    return db
