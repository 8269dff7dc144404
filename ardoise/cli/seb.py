"""``ardoise seb``: Safe Exam Browser keys from the command line (``proctoring.seb``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click

from proctoring import seb


@click.group("seb")
def seb_group() -> None:
    """Safe Exam Browser: Config Keys of settings files and the hashes requests carry."""


@seb_group.command("config-key")
@click.argument("settings_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def config_key(settings_file: Path) -> None:
    """Print the Config Key (64 lowercase hex characters) of a .seb settings file."""
    data = settings_file.read_bytes()
    try:
        click.echo(seb.config_key_of_file(data))
    except seb.SebSettingsError as error:
        raise click.ClickException(f"{settings_file}: {error.detail}") from None


@seb_group.command("expected-hash")
@click.option("--url", required=True, help="The absolute URL of the request.")
@click.option("--key", required=True, help="A Config Key or a Browser Exam Key.")
def expected_hash(url: str, key: str) -> None:
    """Print the hash a request to URL must carry for KEY."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("an absolute http(s) URL is needed", param_hint="--url")
    if not key.strip():
        raise click.BadParameter("the key is empty", param_hint="--key")
    click.echo(seb.expected_hash(url, key))
