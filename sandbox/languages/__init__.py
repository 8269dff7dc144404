"""Language profiles, from the ``ardoise.sandbox_languages`` entry points."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from sandbox.languages.base import BASE_ENV, LanguageProfile, Step
from sandbox.spec import InvalidSpec

ENTRY_POINT_GROUP = "ardoise.sandbox_languages"

__all__ = ["BASE_ENV", "LanguageProfile", "Step", "get_language", "language_names"]


@lru_cache(maxsize=1)
def _profiles() -> dict[str, LanguageProfile]:
    profiles: dict[str, LanguageProfile] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        profile = ep.load()()
        if profile.name in profiles:
            raise ValueError(f"language {profile.name!r} registered twice")
        profiles[profile.name] = profile
    return profiles


def get_language(name: str) -> LanguageProfile:
    try:
        return _profiles()[name]
    except KeyError:
        raise InvalidSpec(f"unknown language {name!r}") from None


def language_names() -> list[str]:
    return sorted(_profiles())
