"""Items, immutable item versions and the item-type plugins."""
