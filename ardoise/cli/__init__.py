"""The ``ardoise`` command line. Serving commands switch to gevent before anything else loads."""

from __future__ import annotations

import sys

SERVING_COMMANDS = {"serve", "demo"}
GLOBAL_OPTIONS_WITH_VALUE = {"--data-dir"}


def command_name(argv: list[str]) -> str | None:
    """The subcommand in ``argv``, skipping the group's options and their values."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    if command_name(sys.argv[1:]) in SERVING_COMMANDS:
        # Cooperative sockets must be in place before any other module is imported.
        from gevent import monkey

        monkey.patch_all()
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    from ardoise.cli.commands import cli

    cli(prog_name="ardoise")
