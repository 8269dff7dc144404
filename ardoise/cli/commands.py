"""Command definitions: database, users, tokens, the demo, serving and the worker."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ardoise import migrate
from ardoise.celery_app import configure_celery
from ardoise.cli.demo import DEMO_PASSWORD, seed_demo
from ardoise.cli.items import items_group
from ardoise.cli.lab import lab_group
from ardoise.cli.options import config_of, data_dir_option
from ardoise.cli.proctoring import proctoring_group
from ardoise.cli.sandbox import sandbox_group
from ardoise.cli.seb import seb_group
from ardoise.cli.server import run_server
from ardoise.config import Config
from ardoise.db import Database
from ardoise.errors import DomainError
from ardoise.worker.context import bind_config
from student_records import service as records
from student_records.models import Organisation, Role
from web import create_app
from web.answering import run_sweeper_pass


def _config(ctx: click.Context) -> Config:
    return config_of(ctx)


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="ARDOISE_DATA_DIR", help="SQLite file, uploads and caches (./var).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Ardoise: secure online exams and coding exercises for schools."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("data_dir", data_dir)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@data_dir_option
@click.option("--revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply the migrations up to REVISION (the latest by default)."""
    migrate.upgrade(_config(ctx).effective_database_url, revision)
    click.echo("database is at " + revision)


@cli.group()
def users() -> None:
    """People and their roles."""


@users.command("create")
@data_dir_option
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_name", required=True, help="Name or id of the school or board.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--given-name", default="")
@click.option("--family-name", default="")
@click.option("--locale", type=click.Choice(["fr", "en"]), default="fr")
@click.pass_context
def users_create(ctx: click.Context, username: str, roles: tuple[str, ...], org_name: str,
                 password: str, given_name: str, family_name: str, locale: str) -> None:
    """Create USERNAME with the given roles in an organisation."""
    database = Database(_config(ctx).effective_database_url)
    try:
        with database.session() as session:
            org = session.get(Organisation, org_name) or session.query(Organisation).filter_by(
                name=org_name).one_or_none()
            if org is None:
                raise click.UsageError(f"no organisation named {org_name!r}")
            person = records.create_person(session, username, password=password,
                                           given_name=given_name, family_name=family_name,
                                           locale=locale)
            for role in roles:
                records.assign_role(session, person, Role(role), org)
            records.audit(session, None, "create_person", "person", person.id, org.id,
                          roles=list(roles))
    except DomainError as error:
        raise click.ClickException(f"{error.code} {error.params or ''}".strip()) from None
    click.echo(person.id)


@cli.group()
def tokens() -> None:
    """API tokens for scripted clients."""


@tokens.command("create")
@data_dir_option
@click.argument("username")
@click.option("--label", default="cli")
@click.pass_context
def tokens_create(ctx: click.Context, username: str, label: str) -> None:
    """Print a new API token for USERNAME, alone on the last line."""
    database = Database(_config(ctx).effective_database_url)
    try:
        with database.session() as session:
            person = records.person_by_username(session, username)
            _token, clear = records.create_token(session, person, label)
    except DomainError:
        raise click.ClickException(f"no user named {username!r}") from None
    click.echo(clear)


@cli.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-sweeper", is_flag=True, help="Leave expired attempts to another node.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_sweeper: bool) -> None:
    """Serve the web app and Socket.IO (gevent) on HOST:PORT."""
    run_server(_config(ctx), host, port, sweeper=not no_sweeper)


@cli.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--seed-only", is_flag=True, help="Create the demo data, do not serve.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, seed_only: bool) -> None:
    """Create the demo school (idempotent) and serve it."""
    config = _config(ctx)
    migrate.upgrade(config.effective_database_url)
    database = Database(config.effective_database_url)
    summary = seed_demo(database)
    database.dispose()
    click.echo(f"Demo school ready: {summary}")
    click.echo("Logins: admin, enseignant, surveillant, correcteur, eleve01 … eleve30")
    click.echo(f"Password: {DEMO_PASSWORD}")
    if seed_only:
        return
    click.echo(f"Ardoise is at http://{host}:{port}/")
    sys.stdout.flush()
    run_server(config, host, port, sweeper=True)


@cli.command()
@data_dir_option
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.option("--queues", default="default,sandbox", show_default=True)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, queues: str) -> None:
    """Run a Celery worker (production: needs ARDOISE_REDIS_URL)."""
    config = _config(ctx)
    if not config.redis_url:
        raise click.UsageError("ARDOISE_REDIS_URL is not set: tasks already run in-process")
    bind_config(config)
    app = configure_celery(config)
    app.worker_main(["worker", "-Q", queues, "-c", str(concurrency), "--loglevel", "INFO",
                     "-P", "prefork", "--without-gossip", "--without-mingle"])


@cli.command()
@data_dir_option
@click.pass_context
def sweep(ctx: click.Context) -> None:
    """Submit every open attempt past its deadline, once (for cron or a timer)."""
    app = create_app(_config(ctx))
    closed = run_sweeper_pass(app, lambda _attempt_id: None)
    click.echo(f"submitted {len(closed)} expired attempts")


cli.add_command(sandbox_group)
cli.add_command(items_group)
cli.add_command(lab_group)
cli.add_command(seb_group)
cli.add_command(proctoring_group)
