"""Student pages: my sittings, the exam page and released results."""

from web.student.views import bp

__all__ = ["bp"]
