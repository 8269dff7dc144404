"""The registry of item types, filled from the ``ardoise.item_types`` entry points."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from ardoise.errors import Invalid
from item_bank.types.base import ItemType

ENTRY_POINT_GROUP = "ardoise.item_types"


class ItemTypeRegistry:
    """Item types by name. Built-in types register through the same entry points as plugins."""

    def __init__(self, types: list[ItemType] | None = None) -> None:
        self._types: dict[str, ItemType] = {}
        for item_type in types or []:
            self.register(item_type)

    @classmethod
    def from_entry_points(cls) -> ItemTypeRegistry:
        registry = cls()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            registry.register(ep.load()())
        return registry

    def register(self, item_type: ItemType) -> None:
        if item_type.name in self._types:
            raise ValueError(f"item type {item_type.name!r} registered twice")
        self._types[item_type.name] = item_type

    def get(self, name: str) -> ItemType:
        try:
            return self._types[name]
        except KeyError:
            raise Invalid("unknown_item_type", item_type=name) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types


@lru_cache(maxsize=1)
def default_registry() -> ItemTypeRegistry:
    return ItemTypeRegistry.from_entry_points()
