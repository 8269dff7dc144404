"""The coding lab's student pages: my assignments and the exercise page with its editor."""

from web.lab.views import bp

__all__ = ["bp"]
