"""What every command shares: ``--data-dir`` (before or after its name) and the config."""

from __future__ import annotations

from pathlib import Path

import click

from ardoise.config import Config, from_env


def config_of(ctx: click.Context) -> Config:
    """The configuration of this invocation, read once from the environment and data dir."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        directory = root.obj.get("data_dir") or Path("./var")
        directory.mkdir(parents=True, exist_ok=True)
        root.obj["config"] = from_env(data_dir=directory)
    config: Config = root.obj["config"]
    return config


def _set_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj["data_dir"] = value
        root.obj.pop("config", None)


# Every command takes --data-dir, before or after its name.
data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    expose_value=False, callback=_set_data_dir, help="SQLite file, uploads and caches (./var).")
