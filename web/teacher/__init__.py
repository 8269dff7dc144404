"""Teacher pages: items, banks, imports, exams, sittings, the live watch and results."""

from web.teacher import banks, browse, imports  # noqa: F401 - their routes join ``bp``
from web.teacher.views import bp

__all__ = ["bp"]
