"""Typed configuration read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SANDBOX_BACKENDS = ("auto", "process", "docker")


def default_sandbox_slots() -> int:
    """Two process-backend slots per CPU: a run waits on I/O and limits as often as it computes."""
    return 2 * (os.cpu_count() or 1)


@dataclass(frozen=True)
class Config:
    """Everything a process of Ardoise needs to know about its deployment.

    :param data_dir: SQLite file, uploads, media and caches.
    :param database_url: SQLAlchemy URL; defaults to ``sqlite:///<data_dir>/ardoise.db``.
    :param redis_url: Celery broker and Socket.IO message queue; ``None`` means
        in-process tasks and a single web process.
    """

    data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    sandbox_backend: str = "auto"
    #: Warm containers the docker backend keeps per limit class.
    sandbox_pool_size: int = 2
    #: Runs the process backend confines at once (each with its own uid).
    sandbox_slots: int = field(default_factory=default_sandbox_slots)
    secret_key: str = ""
    trusted_proxies: int = 0
    timezone: str = "America/Montreal"
    save_grace_seconds: float = 5.0
    sweep_interval_seconds: float = 5.0
    session_cookie_secure: bool = False
    login_limit_per_account: str = "10 per 5 minutes"
    login_limit_per_address: str = "300 per 5 minutes"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ardoise.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(data_dir: Path) -> str:
    """Return a persistent secret key kept in the data dir (created on first use)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def sandbox_backend_from_env(env: Mapping[str, str] | None = None) -> str:
    """``ARDOISE_SANDBOX_BACKEND``, checked: a worker reads it when it runs code."""
    env = os.environ if env is None else env
    backend = env.get("ARDOISE_SANDBOX_BACKEND", "auto") or "auto"
    if backend not in SANDBOX_BACKENDS:
        raise ValueError(f"ARDOISE_SANDBOX_BACKEND must be one of {SANDBOX_BACKENDS}")
    return backend


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name, "") or default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def from_env(env: Mapping[str, str] | None = None, data_dir: str | Path | None = None) -> Config:
    """Build a :class:`Config` from ``ARDOISE_*`` variables; ``data_dir`` overrides the env."""
    env = os.environ if env is None else env
    directory = Path(data_dir or env.get("ARDOISE_DATA_DIR") or "./var")
    backend = sandbox_backend_from_env(env)
    secret = env.get("ARDOISE_SECRET_KEY") or load_secret_key(directory)
    return Config(
        data_dir=directory,
        database_url=env.get("ARDOISE_DATABASE_URL") or None,
        redis_url=env.get("ARDOISE_REDIS_URL") or None,
        sandbox_backend=backend,
        sandbox_pool_size=_positive_int(env, "ARDOISE_SANDBOX_POOL_SIZE", 2),
        sandbox_slots=_positive_int(env, "ARDOISE_SANDBOX_SLOTS", default_sandbox_slots()),
        secret_key=secret,
        trusted_proxies=int(env.get("ARDOISE_TRUSTED_PROXIES", "0") or 0),
        timezone=env.get("ARDOISE_TIMEZONE", "America/Montreal") or "America/Montreal",
        save_grace_seconds=float(env.get("ARDOISE_SAVE_GRACE_SECONDS", "5") or 5),
        sweep_interval_seconds=float(env.get("ARDOISE_SWEEP_INTERVAL_SECONDS", "5") or 5),
        session_cookie_secure=_bool(env.get("ARDOISE_SECURE_COOKIES"), False),
    )
