"""``ardoise sandbox``: run a program in the sandbox, build its images, check this machine."""

from __future__ import annotations

import json
import os
import posixpath
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import click
import docker
import docker.errors

from ardoise.cli.options import data_dir_option
from ardoise.config import SANDBOX_BACKENDS, sandbox_backend_from_env
from sandbox import InvalidSpec, Limits, RunSpec, SandboxUnavailable, images, run
from sandbox.backends import BACKEND_NAMES, backend
from sandbox.files import UnsafeName
from sandbox.languages import get_language, language_names

#: Exit status when no backend can run code here (bad usage is click's 2).
EXIT_UNAVAILABLE = 3
#: Languages whose entry file name is fixed by the language itself, not by the user's file.
FIXED_ENTRY = {"java": "Main.java"}


def configured_backend() -> str:
    try:
        return sandbox_backend_from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None


@click.group("sandbox")
def sandbox_group() -> None:
    """Run untrusted code: try a program, build the images, check this machine."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=what) from None


def build_spec(language: str, source: Path, stdin: Path | None, time_limit: float | None,
               memory_limit: int | None, args: tuple[str, ...],
               extra: tuple[Path, ...]) -> RunSpec:
    """The RunSpec of the command line, checked; a :class:`click.UsageError` when it is bad."""
    if language not in language_names():
        raise click.BadParameter(f"unknown language {language!r} (known: "
                                 f"{', '.join(language_names())})", param_hint="--language")
    entry = FIXED_ENTRY.get(language, source.name)
    files: dict[str, str | bytes] = {entry: _read(source, "FILE")}
    for path in extra:
        if path.name in files:
            raise click.BadParameter(f"two files named {path.name!r}", param_hint="--file")
        files[path.name] = _read(path, "--file")
    limits: dict[str, Any] = {}
    if time_limit is not None:
        limits["cpu_seconds"] = time_limit
    if memory_limit is not None:
        limits["memory_mb"] = memory_limit
    spec = RunSpec(language=language, files=files, entry=entry,
                   stdin=_read(stdin, "--stdin") if stdin else b"", args=args,
                   limits=Limits(**limits))
    try:
        spec.validate()
    except (InvalidSpec, UnsafeName) as error:
        raise click.UsageError(str(error)) from None
    return spec


@sandbox_group.command("run")
@data_dir_option
@click.argument("source", metavar="FILE",
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--language", required=True, help="python3, c, cpp, java or javascript.")
@click.option("--stdin", "stdin", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="File given to the program as its standard input.")
@click.option("--time-limit", type=float, metavar="CPU_S", help="CPU seconds (default 2).")
@click.option("--memory-limit", type=int, metavar="MB", help="Memory in MB (default 256).")
@click.option("--backend", "backend_name", type=click.Choice(SANDBOX_BACKENDS),
              help="Default: ARDOISE_SANDBOX_BACKEND, else auto.")
@click.option("--arg", "args", multiple=True, help="A program argument (repeatable).")
@click.option("--file", "extra", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Another file beside the program, under its own name (repeatable).")
def sandbox_run(source: Path, language: str, stdin: Path | None, time_limit: float | None,
                memory_limit: int | None, backend_name: str | None, args: tuple[str, ...],
                extra: tuple[Path, ...]) -> None:
    """Run FILE in the sandbox and print its RunResult as one JSON object.

    The exit status is 0 whenever the program was run, whatever its verdict; 2 for bad
    usage; 3 when no sandbox backend can run code on this machine (the reason on stderr).
    """
    spec = build_spec(language, source, stdin, time_limit, memory_limit, args, extra)
    try:
        result = run(spec, backend=backend_name or configured_backend())
    except SandboxUnavailable as error:
        click.echo(f"ardoise sandbox: {error}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def backend_report(name: str) -> dict[str, Any]:
    try:
        missing = backend(name).missing()
    except Exception as error:  # a backend that cannot even be loaded here
        missing = [f"cannot load the {name} backend: {type(error).__name__}: {error}"]
    return {"name": name, "available": not missing, "missing": missing}


@sandbox_group.command("doctor")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object for machines.")
def sandbox_doctor(as_json: bool) -> None:
    """Say which backends can run code here and what each lacks; exit 1 if the configured
    one (ARDOISE_SANDBOX_BACKEND) cannot."""
    configured = configured_backend()
    backends = [backend_report(name) for name in BACKEND_NAMES]
    works = {b["name"]: b["available"] for b in backends}
    usable = any(works.values()) if configured == "auto" else works[configured]
    root = root_languages()
    if as_json:
        click.echo(json.dumps({"configured": configured, "usable": usable,
                               "backends": backends, **root}))
    else:
        for report in backends:
            state = "can run code here" if report["available"] else "cannot run code here"
            click.echo(f"{report['name']}: {state}")
            for reason in report["missing"]:
                click.echo(f"  - {reason}")
        click.echo(f"root file system: {root['rootfs'] or 'none built (the host is used)'}")
        for name, present in root["languages"].items():
            click.echo(f"  {name}: {'ready' if present else 'missing'}")
        click.echo(f"configured backend: {configured} "
                   f"({'works' if usable else 'does not work'} here)")
    sys.exit(0 if usable else 1)


def root_languages() -> dict[str, Any]:
    """The root file system code runs on, and whether each language finds its tools there."""
    root = images.rootfs_path()
    languages = {name: all(_executable_in(root, path) for path in get_language(name).requires)
                 for name in language_names()}
    return {"rootfs": str(root) if root else None, "languages": languages}


def _executable_in(root: Path | None, path: str, hops: int = 0) -> bool:
    """Whether ``path`` names an executable file as seen from ``root`` (the host's ``/``
    when no root file system is built): absolute links resolve inside ``root``."""
    if root is None:
        return os.path.isfile(path) and os.access(path, os.X_OK)
    parts = PurePosixPath(path).parts[1:]
    current = root
    for index, part in enumerate(parts):
        candidate = current / part
        if candidate.is_symlink():
            target = os.readlink(candidate)
            inside = PurePosixPath("/", *current.relative_to(root).parts)
            rest = PurePosixPath(target if target.startswith("/") else inside / target,
                                 *parts[index + 1:])
            return hops < 40 and _executable_in(root, posixpath.normpath(str(rest)), hops + 1)
        current = candidate
    return current.is_file() and os.access(current, os.X_OK)


@sandbox_group.group("images")
def images_group() -> None:
    """The sandbox's root file system and Docker image."""


@images_group.command("build")
@data_dir_option
@click.option("--no-docker", is_flag=True,
              help="Build the root file system only (the process backend needs no more).")
def images_build(no_docker: bool) -> None:
    """Build the root file system and import it as the Docker image; each is built once
    per recipe and cached (ARDOISE_SANDBOX_CACHE). Exit 1 when the image could not be built
    because the Docker engine is unreachable (unless --no-docker)."""
    client, unreachable = (None, None) if no_docker else _docker_client()
    try:
        report = images.build_all(client, progress=click.echo)
    except images.ImageBuildError as error:
        click.echo(f"ardoise sandbox: {error}", err=True)
        sys.exit(1)
    finally:
        if client is not None:
            client.close()
    if unreachable is not None:
        click.echo(f"the Docker image was not built: the Docker engine is unreachable "
                   f"({unreachable}); the root file system is ready at {report.rootfs}", err=True)
        sys.exit(1)


@images_group.command("prune")
@data_dir_option
@click.option("--no-docker", is_flag=True, help="Leave Docker images alone.")
def images_prune(no_docker: bool) -> None:
    """Remove the root file systems, tarballs and Docker images of other recipes than the
    current one (and leftovers of interrupted builds). Prune once every worker runs the
    current recipe: an image a container still uses is kept and listed."""
    client, unreachable = (None, None) if no_docker else _docker_client()
    try:
        report = images.prune(client, progress=click.echo)
    finally:
        if client is not None:
            client.close()
    click.echo(f"sandbox: removed {len(report.removed_paths)} build(s) and "
               f"{len(report.removed_images)} image(s); kept {len(report.kept_images)} in use")
    if unreachable is not None:
        click.echo(f"Docker images were not pruned: the Docker engine is unreachable "
                   f"({unreachable})", err=True)
        sys.exit(1)


def _docker_client() -> tuple[Any, str | None]:
    """A client of the engine ``DOCKER_HOST`` names, or why there is none."""
    try:
        client = docker.from_env()
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        return None, str(error) or type(error).__name__
    return client, None
