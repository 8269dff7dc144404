"""Ardoise: shared infrastructure at the bottom of the package graph."""
