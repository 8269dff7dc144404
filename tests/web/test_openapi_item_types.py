"""The OpenAPI document describes every registered item type, plugins included."""

from __future__ import annotations

from flask.testing import FlaskClient

from item_bank.registry import default_registry


def test_openapi_lists_the_render_and_response_of_every_registered_type(
        client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    registry = default_registry()
    assert {"inline_choice", "matching", "ordering", "hot_text", "extended_text"} <= \
        set(registry.names())
    for name in registry.names():
        assert schemas[f"Render_{name}"] == registry.get(name).render_schema
        assert schemas[f"Response_{name}"] == registry.get(name).response_schema
    documented = {v["properties"]["item_type"]["const"] for v in schemas["Slot"]["oneOf"]}
    assert documented == set(registry.names())
    # Texts reach a browser as sanitised HTML (item_bank.rich_text.payload_html).
    stem = schemas["Render_single_choice"]["properties"]["stem"]
    assert "sanitised HTML" in stem["description"]
    assert "{{gap_id}}" in schemas["Render_inline_choice"]["properties"]["text"]["description"]
