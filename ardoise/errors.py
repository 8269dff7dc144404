"""Base domain errors; the web layer maps a code to an HTTP status and a translated message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error a person can cause. ``code`` is stable and machine-readable."""

    status = 422
    code = "invalid"

    def __init__(self, code: str | None = None, detail: str = "", **params: Any) -> None:
        self.code = code or type(self).code
        self.detail = detail
        self.params = params
        super().__init__(detail or self.code)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "invalid"
