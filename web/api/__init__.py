"""The JSON API under /api/v1 and its OpenAPI document."""

from web.api import proctoring  # noqa: F401 - the proctor's actions join ``bp``
from web.api.routes import bp

__all__ = ["bp"]
