"""The coding lab's student pages: my assignments, the exercise page with its editor, and
notebook assignments."""

from web.lab import notebooks  # noqa: F401 - its routes join ``bp``
from web.lab.views import bp

__all__ = ["bp"]
