"""Hostile programs against every sandbox backend: each must be contained, the host unchanged."""
