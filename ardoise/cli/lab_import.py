"""``ardoise lab import DIR``: an exercise kept as files, created or updated in one go.

The folder (see docs/coding-lab.md, "Code items and imports")::

    exercise.toml          title, language, points, limits, comparison, per-test settings
    statement.fr.md        the statement in French and/or English (at least one)
    statement.en.md
    starter.<ext>          optional: the code students start from
    solution.<ext>         the reference solution, run against every test on import
    tests/NAME.in          an input/output test: its stdin (optional: empty input)...
    tests/NAME.out         ...and its expected output
    tests/test_NAME.py     a Python function test (test_* functions with asserts)

Everything is read and checked before anything is written; the exercise then goes
through :mod:`coding_lab.exercises` (which runs the reference solution) in one unit of
work, so a refused folder leaves the database as it was.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.cli.items import organisation_named, person_id_named
from ardoise.cli.options import config_of, data_dir_option
from ardoise.cli.sandbox import EXIT_UNAVAILABLE, configured_backend
from ardoise.clock import utcnow
from ardoise.config import SANDBOX_BACKENDS
from ardoise.db import Database
from ardoise.errors import DomainError
from coding_lab import exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import Exercise
from sandbox import SandboxUnavailable
from sandbox.languages import get_language, language_names

#: Bad folder, option or exercise: nothing written.
EXIT_BAD_INPUT = 2
#: Written as a draft, but the reference solution fails a test.
EXIT_UNVERIFIED = 1

TOP_KEYS = {"title", "language", "points", "limits", "comparison", "tolerance",
            "relative_tolerance", "tests"}
LIMIT_KEYS = {"cpu_seconds", "memory_mb"}
TEST_KEYS = {"hidden", "weight", "hint", "stop_on_failure", "comparison", "tolerance",
             "relative_tolerance"}
MAX_FILE = 1024 * 1024
TEST_NAME = re.compile(r"^[\w.-]{1,120}$")

FIELD_WORDS = {
    "title": "the title is missing or longer than 200 characters",
    "language": f"the language must be one of {', '.join(language_names())}",
    "statement": "statement.fr.md or statement.en.md must hold the statement",
    "solution": "the solution is missing, empty or larger than 64 KiB (or the starter is)",
    "points": "points must be a number above 0 and at most 1000",
    "limits": "limits: cpu_seconds above 0 and at most 10, memory_mb from 16 to 2048",
    "comparison": "comparison must be exact, trailing_whitespace, ignore_case, numbers or "
                  "regex, with a tolerance of at least 0",
    "tests": f"an exercise has from 1 to {exercises.MAX_TESTS} tests",
    "name": "a test name is empty, too long or used twice",
    "code": "function tests are for Python exercises, and must not be empty",
    "size": "a test's input or expected output is larger than 256 KiB",
    "weight": "a test's weight must be above 0 and at most 1000",
    "expected": "the expected output is not a usable regular expression",
}


class FolderError(Exception):
    """The folder cannot be imported; the message says why, for a person."""


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"ardoise lab import: {message}", err=True)
    sys.exit(status)


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE:
        raise FolderError(f"{path.name} is larger than {MAX_FILE} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FolderError(f"{path.name} is not UTF-8 text") from None


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _one(folder: Path, stem: str, suffix: str, required: bool) -> str:
    found = sorted(p for p in folder.glob(stem + ".*") if p.is_file())
    if len(found) > 1:
        raise FolderError(f"several {stem}.* files: {', '.join(p.name for p in found)}")
    if not found:
        if required:
            raise FolderError(f"no {stem}{suffix}: the reference solution is required")
        return ""
    if found[0].suffix != suffix:
        raise FolderError(f"{found[0].name}: the language's files end in {suffix}")
    return _read_text(found[0])


def _bilingual(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"fr": value}
    if isinstance(value, dict) and set(value) <= {"fr", "en"} and \
            all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise FolderError(f"{where}: a text, or a table with fr and/or en texts")


def _typed(table: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    value = table.get(key)
    if value is not None and (isinstance(value, bool) and bool not in kinds
                              or not isinstance(value, kinds)):
        raise FolderError(f"{where}: {key} has the wrong type")
    return value


def read_folder(folder: Path) -> ExerciseSpec:
    """The exercise a folder describes, checked for shape (the exercise itself is checked
    by :func:`coding_lab.exercises.validate`)."""
    if not folder.is_dir():
        raise FolderError(f"{folder} is not a folder")
    manifest = folder / "exercise.toml"
    if not manifest.is_file():
        raise FolderError("no exercise.toml in the folder")
    try:
        config = tomllib.loads(_read_text(manifest))
    except tomllib.TOMLDecodeError as error:
        raise FolderError(f"exercise.toml: {error}") from None
    unknown = set(config) - TOP_KEYS
    if unknown:
        raise FolderError(f"exercise.toml: unknown keys {', '.join(sorted(unknown))}")
    language = config.get("language")
    if language not in language_names():
        raise FolderError(f"exercise.toml: language must be one of "
                          f"{', '.join(language_names())}")
    title = _typed(config, "title", (str,), "exercise.toml")
    if not title:
        raise FolderError("exercise.toml: no title")
    limits = config.get("limits", {})
    if not isinstance(limits, dict) or set(limits) - LIMIT_KEYS:
        raise FolderError("exercise.toml: [limits] holds cpu_seconds and memory_mb only")
    suffix = Path(get_language(language).default_entry).suffix
    statement = {lang: _read_text(folder / f"statement.{lang}.md") for lang in ("fr", "en")
                 if (folder / f"statement.{lang}.md").is_file()}
    if not statement:
        raise FolderError("no statement.fr.md nor statement.en.md")
    tests = _read_tests(folder / "tests", config.get("tests", {}))
    spec = ExerciseSpec(
        title=title, language=language, statement=statement,
        solution=_one(folder, "solution", suffix, required=True),
        starter=_one(folder, "starter", suffix, required=False), tests=tests)
    for key, kinds in (("points", (int, float)), ("comparison", (str,)),
                       ("tolerance", (int, float)), ("relative_tolerance", (bool,))):
        value = _typed(config, key, kinds, "exercise.toml")
        if value is not None:
            setattr(spec, key, float(value) if key in ("points", "tolerance") else value)
    cpu = _typed(limits, "cpu_seconds", (int, float), "[limits]")
    memory = _typed(limits, "memory_mb", (int,), "[limits]")
    if cpu is not None:
        spec.cpu_seconds = float(cpu)
    if memory is not None:
        spec.memory_mb = memory
    return spec


def _read_tests(directory: Path, settings: Any) -> list[TestSpec]:
    if not directory.is_dir():
        raise FolderError("no tests/ folder")
    if not isinstance(settings, dict):
        raise FolderError("exercise.toml: [tests.NAME] tables hold per-test settings")
    inputs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    functions: dict[str, str] = {}
    for path in directory.iterdir():
        if path.is_dir() or path.name.startswith("."):
            raise FolderError(f"tests/{path.name}: not a test file")
        name = path.stem
        if path.suffix == ".in":
            inputs[name] = _read_text(path)
        elif path.suffix == ".out":
            outputs[name] = _read_text(path)
        elif path.suffix == ".py" and name.startswith("test_"):
            functions[name] = _read_text(path)
        else:
            raise FolderError(f"tests/{path.name}: expected NAME.in, NAME.out or test_*.py")
        if not TEST_NAME.match(name):
            raise FolderError(f"tests/{path.name}: a test name is letters, digits, . _ -")
    lonely = sorted(set(inputs) - set(outputs))
    if lonely:
        raise FolderError(f"tests/{lonely[0]}.in has no {lonely[0]}.out")
    both = sorted(set(outputs) & set(functions))
    if both:
        raise FolderError(f"two tests named {both[0]}")
    tests = {name: TestSpec(name=name, stdin=inputs.get(name, ""), expected=expected)
             for name, expected in outputs.items()}
    tests.update({name: TestSpec(name=name, code=code) for name, code in functions.items()})
    for name, table in settings.items():
        where = f"exercise.toml [tests.{name}]"
        if name not in tests:
            raise FolderError(f"{where}: no test named {name} in tests/")
        if not isinstance(table, dict) or set(table) - TEST_KEYS:
            raise FolderError(f"{where}: settings are {', '.join(sorted(TEST_KEYS))}")
        test = tests[name]
        for key, kinds in (("hidden", (bool,)), ("stop_on_failure", (bool,)),
                           ("weight", (int, float)), ("comparison", (str,)),
                           ("tolerance", (int, float)), ("relative_tolerance", (bool,))):
            value = _typed(table, key, kinds, where)
            if value is not None:
                setattr(test, key, float(value) if key in ("weight", "tolerance") else value)
        if table.get("hint") is not None:
            test.hint = _bilingual(table["hint"], f"{where} hint")
    return [tests[name] for name in sorted(tests, key=_natural)]


def _refusal(error: DomainError) -> str:
    field = str(error.params.get("field", ""))
    words = FIELD_WORDS.get(field, field or error.code)
    test = error.params.get("test")
    return f"test {test!r}: {words}" if test else words


@click.command("import")
@data_dir_option
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--org", "org_name", required=True,
              help="The school or board that owns the exercise (name or id).")
@click.option("--author", help="Username recorded as the exercise's author (when created).")
@click.option("--publish", is_flag=True,
              help="Publish it too; refused (nothing written) when its solution fails.")
@click.option("--backend", "backend_name", type=click.Choice(SANDBOX_BACKENDS),
              help="Default: ARDOISE_SANDBOX_BACKEND, else auto.")
@click.pass_context
def lab_import(ctx: click.Context, folder: Path, org_name: str, author: str | None,
               publish: bool, backend_name: str | None) -> None:
    """Create or update (same title in the organisation) the exercise kept in FOLDER, run
    its solution against its tests, and print one JSON object: {"id", "title", "created",
    "status", "verified", "tests": [{"name", "verdict"}]}.

    Exit status: 0 when written and its solution passes every test; 1 when written as a
    draft whose solution fails a test; 2 for a folder or option that cannot be used
    (nothing written, the reason on stderr); 3 when no sandbox can run code here.
    """
    try:
        spec = read_folder(folder)
        exercises.validate(spec)
    except FolderError as error:
        _fail(f"{folder}: {error}")
    except DomainError as error:
        _fail(f"{folder}: {_refusal(error)}")
    backend = backend_name or configured_backend()
    database = Database(config_of(ctx).effective_database_url)
    try:
        with database.session() as session:
            org = organisation_named(session, org_name)
            author_id = person_id_named(session, author)
            report = _save(session, org.id, spec, author_id, publish, backend)
    except click.UsageError:
        raise
    except SandboxUnavailable as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    except DomainError as error:
        if error.code == "exercise_unverified":
            _fail(f"{folder}: the reference solution fails a test, so the exercise cannot be "
                  f"published (nothing written)")
        _fail(f"{folder}: {_refusal(error)}")
    finally:
        database.dispose()
    click.echo(json.dumps(report, ensure_ascii=False))
    if not report["verified"]:
        click.echo("ardoise lab import: the reference solution fails a test: the exercise is "
                   "a draft", err=True)
        sys.exit(EXIT_UNVERIFIED)


def _save(session: Session, org_id: str, spec: ExerciseSpec, author_id: str | None,
          publish: bool, backend: str) -> dict[str, Any]:
    now = utcnow()
    same = list(session.scalars(select(Exercise).where(
        Exercise.organisation_id == org_id, Exercise.title == spec.title.strip())))
    if len(same) > 1:
        raise click.UsageError(f"several exercises are titled {spec.title!r} here")
    if same:
        exercise = exercises.update_exercise(session, same[0].id, spec, now, backend)
    else:
        exercise = exercises.create_exercise(session, org_id, spec, author_id, now, backend)
    if publish:
        exercises.publish(session, exercise.id)
    verification = exercise.verification or {}
    return {"id": exercise.id, "title": exercise.title, "created": not same,
            "status": exercise.status, "verified": exercise.verified_at is not None,
            "tests": [{"name": t["name"], "verdict": t["verdict"]}
                      for t in verification.get("tests", [])],
            "compile_output": verification.get("compile_output", "")}
