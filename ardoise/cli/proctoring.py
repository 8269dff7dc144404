"""``ardoise proctoring``: integrity housekeeping from the command line (or cron)."""

from __future__ import annotations

import click

from ardoise.cli.options import config_of, data_dir_option
from ardoise.clock import utcnow
from ardoise.db import Database
from proctoring import retention


@click.group("proctoring")
def proctoring_group() -> None:
    """Integrity events: the retention purge."""


@proctoring_group.command("purge")
@data_dir_option
@click.pass_context
def purge(ctx: click.Context) -> None:
    """Delete the integrity detail of every sitting past its retention period (each
    attempt's review outcome stays). The web nodes also do it once an hour."""
    database = Database(config_of(ctx).effective_database_url)
    try:
        with database.session() as session:
            purged = retention.purge_expired(session, utcnow())
    finally:
        database.dispose()
    for sitting_id, events in sorted(purged.items()):
        click.echo(f"{sitting_id}: {events} events deleted")
    click.echo(f"{len(purged)} sitting(s) purged")
