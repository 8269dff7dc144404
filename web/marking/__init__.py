"""Marking pages: points and a comment for manually graded answers."""

from web.marking.views import bp

__all__ = ["bp"]
