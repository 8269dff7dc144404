"""The Socket.IO server: namespaces, the Redis message queue, and the sweeper loop."""

from __future__ import annotations

import time
from typing import Any

import socketio
from flask import Flask

from ardoise.clock import utcnow
from ardoise.worker import lab_events
from proctoring import retention
from web.answering import run_sweeper_pass
from web.sockets.exam import ExamNamespace
from web.sockets.lab import LabNamespace
from web.sockets.proctor import NAMESPACE as PROCTOR_NAMESPACE
from web.sockets.proctor import ProctorNamespace


def init_app(app: Flask, async_mode: str = "threading") -> socketio.Server:
    """Create the Socket.IO server and mount it in front of the Flask app."""
    config = app.extensions["ardoise.config"]
    manager: Any = None
    if config.redis_url:
        # Several web nodes share rooms through Redis; any node may emit to any student.
        manager = socketio.RedisManager(config.redis_url, channel=lab_events.CHANNEL)
    server = socketio.Server(
        async_mode=async_mode, client_manager=manager, ping_interval=20, ping_timeout=20,
        max_http_buffer_size=256 * 1024, logger=False, engineio_logger=False,
    )
    server.register_namespace(ExamNamespace("/exam", app))
    server.register_namespace(LabNamespace(lab_events.NAMESPACE, app))
    server.register_namespace(ProctorNamespace(PROCTOR_NAMESPACE, app))
    lab_events.bind_server(server)  # tasks run in this process emit through it
    app.extensions["ardoise.sio"] = server
    app.wsgi_app = socketio.WSGIApp(server, app.wsgi_app)  # type: ignore[method-assign]
    return server


def emit_to_attempt(app: Flask, attempt_id: str, event: str, data: dict[str, Any]) -> None:
    server: socketio.Server = app.extensions["ardoise.sio"]
    server.emit(event, data, room=f"attempt:{attempt_id}", namespace="/exam")


def emit_to_sitting(app: Flask, sitting_id: str, event: str, data: dict[str, Any]) -> None:
    server: socketio.Server = app.extensions["ardoise.sio"]
    server.emit(event, data, room=f"sitting:{sitting_id}", namespace="/exam")


#: How often a web node purges integrity detail past its retention period.
PURGE_EVERY_SECONDS = 3600.0


def purge_integrity_detail(app: Flask) -> dict[str, int]:
    """Purge every sitting past its integrity retention period (``proctoring.retention``)."""
    with app.extensions["ardoise.db"].session() as session:
        purged = retention.purge_expired(session, utcnow())
    if purged:
        app.logger.info("integrity detail purged: %s", purged)
    return purged


def start_sweeper(app: Flask) -> None:
    """Submit expired attempts every few seconds, for as long as the server runs.

    Every web node may run it: each attempt is submitted under its row lock, once.
    """
    server: socketio.Server = app.extensions["ardoise.sio"]
    interval = app.extensions["ardoise.config"].sweep_interval_seconds

    def notify(attempt_id: str) -> None:
        emit_to_attempt(app, attempt_id, "attempt:closed", {"reason": "deadline"})

    def loop() -> None:
        last_purge = 0.0
        while True:
            try:
                run_sweeper_pass(app, notify)
                if time.monotonic() - last_purge >= PURGE_EVERY_SECONDS:
                    last_purge = time.monotonic()
                    purge_integrity_detail(app)
            except Exception:  # the loop must outlive a database hiccup
                app.logger.exception("sweeper pass failed")
            server.sleep(interval)

    server.start_background_task(loop)
