"""Connections to the real PostgreSQL and Redis the suite runs against."""

from __future__ import annotations

import os

import psycopg2
import pytest
import redis
from psycopg2 import sql

PG_ADMIN_URL = os.environ.get("ARDOISE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("ARDOISE_TEST_REDIS", "redis://127.0.0.1:6379")


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def worker_number() -> int:
    return int("".join(c for c in worker_id() if c.isdigit()) or 0)


def fresh_pg_database(name: str, template: str | None = None) -> str:
    """Drop and create ``name``; return its URL. A missing server fails the test, never skips."""
    try:
        conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL}: {error}", pytrace=False)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if template:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
        else:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def redis_url(index_offset: int = 0) -> str:
    """A Redis database of this xdist worker's own, emptied (databases 1..15)."""
    index = 1 + (worker_number() * 2 + index_offset) % 15
    url = f"{REDIS_BASE}/{index}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.flushdb()
        client.close()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is required at {REDIS_BASE}: {error}", pytrace=False)
    return url
