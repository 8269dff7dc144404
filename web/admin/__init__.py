"""Admin pages: the audit log of staff actions."""

from web.admin.views import bp

__all__ = ["bp"]
