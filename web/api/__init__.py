"""The JSON API under /api/v1 and its OpenAPI document."""

from web.api.routes import bp

__all__ = ["bp"]
