"""Item-type plugins, discovered through the ``ardoise.item_types`` entry points."""
