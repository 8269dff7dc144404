"""Celery tasks: thin wrappers that call a package's service."""
