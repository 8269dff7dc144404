"""Teacher pages: items, exams, sittings, the live watch and results."""

from web.teacher.views import bp

__all__ = ["bp"]
