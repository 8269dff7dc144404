"""The ``ardoise`` command line. Serving commands switch to gevent before anything else loads."""

from __future__ import annotations

import sys

SERVING_COMMANDS = {"serve", "demo"}


def main() -> None:
    if SERVING_COMMANDS & set(sys.argv[1:3]):
        # Cooperative sockets must be in place before any other module is imported.
        from gevent import monkey

        monkey.patch_all()
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    from ardoise.cli.commands import cli

    cli(prog_name="ardoise")
