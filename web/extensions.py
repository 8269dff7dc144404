"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect


def client_address() -> str:
    """The client's address, as ProxyFix resolved it from the trusted proxies."""
    return request.remote_addr or "unknown"


csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=False)

