"""The sitting's access rules on the exam path (``proctoring.access``), for the pages, the
REST API and the ``/exam`` namespace: the client's address as seen through the trusted
proxies, and the Safe Exam Browser proof its request carries."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request

from ardoise.clock import utcnow
from exam_engine import attempts
from proctoring import access
from proctoring import events as integrity
from proctoring.access import SebProof
from web import answering
from web.context import unit_of_work


def check_request(db: Session, sitting_id: str) -> None:
    """Refuse this HTTP request if the sitting's rules do (``AccessRefused``)."""
    rules = access.get_access(db, sitting_id)
    if rules is None:
        return
    access.check(rules, address=request.remote_addr,
                 proof=SebProof.from_headers(request.url, request.headers),
                 origin=request.host_url)


def seen_request(environ: dict[str, Any], trusted_proxies: int) -> Request:
    """The request a Socket.IO handshake's ``environ`` describes, as the Flask app sees its
    own requests: through the same ``ProxyFix`` when proxies are trusted."""
    if trusted_proxies <= 0:
        return Request(environ)
    seen: dict[str, Any] = {}

    def capture(env: dict[str, Any], _start: Any) -> list[bytes]:
        seen.update(env)
        return []

    ProxyFix(capture, x_for=trusted_proxies, x_proto=trusted_proxies,
             x_host=trusted_proxies)(dict(environ), lambda *_args: None)  # type: ignore[arg-type]
    return Request(seen)


def connection_facts(environ: dict[str, Any], trusted_proxies: int) -> dict[str, Any]:
    """What a Socket.IO connection showed when it was made: its address, our origin as it
    reached us, and the Safe Exam Browser proof of its handshake."""
    seen = seen_request(environ, trusted_proxies)
    return {"address": seen.remote_addr, "origin": seen.host_url,
            "proof": SebProof.from_headers(seen.url, seen.headers)}


def lock_mid_exam(attempt_id: str) -> bool:
    """A Safe Exam Browser key that stops matching on an attempt already under way: record
    it, lock the attempt for a proctor (its answers stay) and tell the pages that hold it.
    False when there was nothing to lock (not started on a device, submitted, locked)."""
    now = utcnow()
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id, for_update=True)
        if attempt.device_id is None:
            return False
        integrity.record_event(db, attempt, "key_mismatch", now=now, source="server",
                               detail={"which": "seb"})
        if not attempts.lock(db, attempt, now):
            return False
        clock = answering.clock_view(attempt)
    from web.sockets import emit_to_attempt  # the namespaces import this module

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    emit_to_attempt(app, attempt_id, "attempt:state", {"state": "locked", "reason": "seb"})
    emit_to_attempt(app, attempt_id, "timer:sync", clock)
    return True
