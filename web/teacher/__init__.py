"""Teacher pages: items, banks, imports, exams, sittings, the live watch and results."""

from web.teacher import (  # noqa: F401 - their routes join ``bp``
    banks,
    browse,
    edit,
    imports,
    integrity,
    lab,
    lab_notebooks,
    pools,
    reviews,
)
from web.teacher.views import bp

__all__ = ["bp"]
