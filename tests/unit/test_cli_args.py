"""Serving commands are found wherever they sit after the global options."""

import pytest

from ardoise.cli import command_name


@pytest.mark.parametrize(("argv", "expected"), [
    (["serve", "--port", "5000"], "serve"),
    (["--data-dir", "/tmp/x", "serve"], "serve"),
    (["--data-dir", "serve", "demo"], "demo"),  # a data dir named "serve"
    (["demo", "--data-dir", "/tmp/x"], "demo"),
    (["--help"], None),
    (["tokens", "create", "serve"], "tokens"),
])
def test_command_name(argv: list[str], expected: str | None) -> None:
    assert command_name(argv) == expected
