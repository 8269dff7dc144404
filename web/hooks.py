"""Request hooks: trusted proxies, the caller, CSRF and security headers."""

from __future__ import annotations

from flask import Flask, g, request
from flask.wrappers import Response
from werkzeug.middleware.proxy_fix import ProxyFix

from web.auth import bearer_token, load_caller
from web.extensions import csrf, limiter

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _before() -> None:
    load_caller()
    # Scripted clients authenticate with a bearer token and carry no cookie to forge.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not bearer_token():
        csrf.protect()


def _after(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("user") is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask, trusted_proxies: int) -> None:
    if trusted_proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies,
            x_host=trusted_proxies,
        )
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_before)
    app.after_request(_after)
