"""``ardoise lab import DIR``: an exercise kept as files, created, updated, or refused whole."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ardoise import migrate
from ardoise.cli.commands import cli
from ardoise.db import Database
from coding_lab.models import Exercise, ExerciseTest
from sandbox.backends.process import ProcessBackend
from student_records import service as records
from student_records.models import OrgKind

SAMPLE = Path(__file__).parent / "coding_lab" / "files" / "lab_exercise"
ORG = "École Test"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def lab(*args: str, data_dir: Path) -> Outcome:
    """The command as the shell runs it (its group, options and exit status), in-process:
    a fresh interpreter costs seconds a run and these tests run it a dozen times."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ARDOISE_")}
    env.update(ARDOISE_DATA_DIR=str(data_dir), ARDOISE_SANDBOX_BACKEND="process")
    result = CliRunner().invoke(cli, ["lab", "import", *args], env=env, prog_name="ardoise")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_the_command_is_in_the_lab_group_of_the_real_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    shown = subprocess.run([sys.executable, "-m", "ardoise", "lab", "import", "--help"],
                           env={**env, "ARDOISE_DATA_DIR": str(tmp_path)}, text=True,
                           capture_output=True, timeout=120, check=False)
    assert shown.returncode == 0 and "--publish" in shown.stdout and "--org" in shown.stdout


@pytest.fixture
def database(tmp_path: Path) -> Database:
    assert not ProcessBackend().missing()
    url = f"sqlite:///{tmp_path / 'ardoise.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        records.create_organisation(session, ORG, OrgKind.SCHOOL)
        records.create_person(session, "prof", password="correct horse battery")
    return db


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "moyenne"
    shutil.copytree(SAMPLE, copy)
    return copy


def stored(database: Database) -> list[tuple[Exercise, list[ExerciseTest]]]:
    with database.session() as session:
        found = []
        for exercise in session.scalars(select(Exercise)):
            tests = list(session.scalars(select(ExerciseTest).where(
                ExerciseTest.exercise_id == exercise.id).order_by(ExerciseTest.position)))
            session.expunge_all()
            found.append((exercise, tests))
        return found


def test_a_folder_becomes_a_verified_published_exercise_then_is_updated(
        database: Database, folder: Path, tmp_path: Path) -> None:
    first = lab(str(folder), "--org", ORG, "--author", "prof", "--publish", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["title"] == "Moyenne des notes" and report["created"] is True
    assert report["verified"] is True and report["status"] == "published"
    assert report["tests"] == [{"name": n, "verdict": "passed"} for n in (
        "1-simple", "2-decimales", "3-vide", "4-grand", "test_moyenne")]
    [(exercise, tests)] = stored(database)
    assert exercise.id == report["id"] and exercise.language == "python3"
    assert exercise.points == 10 and exercise.comparison == "numbers"
    assert (exercise.cpu_seconds, exercise.memory_mb, exercise.tolerance) == (1.5, 128, 0.01)
    assert exercise.statement["fr"].startswith("# Moyenne des notes")
    assert exercise.statement["en"].startswith("# Average of the marks")
    assert exercise.starter_code.startswith("def moyenne(notes):\n    # À compléter")
    assert "sum(notes)" in exercise.solution_code and exercise.created_by is not None
    by_name = {t.name: t for t in tests}
    simple = by_name["1-simple"]
    assert (simple.stdin, simple.expected) == ("3\n70 80 90\n", "80.00\n")
    assert by_name["3-vide"].hint == {"fr": "Une liste vide n'a pas de moyenne : affichez 0.",
                                      "en": "An empty list has no average: print 0."}
    assert (by_name["4-grand"].hidden, by_name["4-grand"].weight) == (True, 2.0)
    function = by_name["test_moyenne"]
    assert function.code is not None and "from main import moyenne" in function.code
    assert function.weight == 3.0 and not function.hidden

    # Edited under version control: one more test, a changed statement. Same title: update.
    (folder / "tests" / "5-negatif.in").write_text("2\n-10 10\n", encoding="utf-8")
    (folder / "tests" / "5-negatif.out").write_text("0.00\n", encoding="utf-8")
    (folder / "statement.en.md").write_text("# Average\n\nNew words.\n", encoding="utf-8")
    second = lab(str(folder), "--org", ORG, data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["id"] == report["id"] and again["created"] is False
    assert [t["name"] for t in again["tests"]][-2:] == ["5-negatif", "test_moyenne"]
    [(exercise, tests)] = stored(database)
    assert exercise.statement["en"] == "# Average\n\nNew words."
    assert len(tests) == 6 and exercise.status == "published"


def test_a_solution_that_fails_is_kept_as_a_draft_and_said_so(
        database: Database, folder: Path, tmp_path: Path) -> None:
    (folder / "solution.py").write_text(
        "n = int(input())\nprint('80.00')\n\ndef moyenne(notes):\n    return 0\n",
        encoding="utf-8")
    refused = lab(str(folder), "--org", ORG, "--publish", data_dir=tmp_path)
    assert refused.returncode == 2 and "cannot be published" in refused.stderr
    assert stored(database) == []  # --publish: all or nothing
    draft = lab(str(folder), "--org", ORG, data_dir=tmp_path)
    assert draft.returncode == 1 and "draft" in draft.stderr
    report = json.loads(draft.stdout)
    assert report["verified"] is False and report["status"] == "draft"
    verdicts = {t["name"]: t["verdict"] for t in report["tests"]}
    assert verdicts["1-simple"] == "passed" and verdicts["2-decimales"] == "failed"
    assert verdicts["test_moyenne"] == "runtime_error"  # input() on import, nothing to read


@pytest.mark.parametrize("breakage, message", [
    (lambda f: (f / "exercise.toml").unlink(), "no exercise.toml"),
    (lambda f: (f / "exercise.toml").write_text("title = \n", encoding="utf-8"),
     "exercise.toml: "),
    (lambda f: (f / "exercise.toml").write_text(
        'title = "X"\nlanguage = "cobol"\n', encoding="utf-8"), "language must be one of"),
    (lambda f: (f / "exercise.toml").write_text(
        "colour = 'blue'\n" + (f / "exercise.toml").read_text(encoding="utf-8"),
        encoding="utf-8"), "unknown keys colour"),
    (lambda f: (f / "solution.py").rename(f / "solution.c"), "end in .py"),
    (lambda f: (f / "solution.py").unlink(), "no solution.py"),
    (lambda f: [(f / n).unlink() for n in ("statement.fr.md", "statement.en.md")],
     "no statement.fr.md nor statement.en.md"),
    (lambda f: (f / "tests" / "1-simple.out").unlink(), "1-simple.in has no 1-simple.out"),
    (lambda f: (f / "tests" / "notes.txt").write_text("x", encoding="utf-8"),
     "expected NAME.in, NAME.out or test_*.py"),
    (lambda f: (f / "exercise.toml").write_text(
        (f / "exercise.toml").read_text(encoding="utf-8") + "\n[tests.9-absent]\nhidden = true\n",
        encoding="utf-8"), "no test named 9-absent"),
    (lambda f: (f / "exercise.toml").write_text(
        (f / "exercise.toml").read_text(encoding="utf-8").replace("weight = 2", "weight = 0"),
        encoding="utf-8"), "test '4-grand': a test's weight must be above 0"),
    (lambda f: (f / "exercise.toml").write_text(
        (f / "exercise.toml").read_text(encoding="utf-8").replace("cpu_seconds = 1.5",
                                                                  "cpu_seconds = 99"),
        encoding="utf-8"), "limits: cpu_seconds above 0 and at most 10"),
])
def test_a_broken_folder_is_refused_with_nothing_written(
        database: Database, folder: Path, tmp_path: Path, breakage: object,
        message: str) -> None:
    breakage(folder)  # type: ignore[operator]
    refused = lab(str(folder), "--org", ORG, data_dir=tmp_path)
    assert refused.returncode == 2, refused.stdout
    assert message in refused.stderr and refused.stdout == ""
    assert stored(database) == []


def test_an_update_that_breaks_the_folder_leaves_the_exercise_as_it_was(
        database: Database, folder: Path, tmp_path: Path) -> None:
    assert lab(str(folder), "--org", ORG, data_dir=tmp_path).returncode == 0
    (folder / "tests" / "6-vide.in").write_text("", encoding="utf-8")  # no 6-vide.out
    (folder / "statement.fr.md").write_text("Changé.\n", encoding="utf-8")
    assert lab(str(folder), "--org", ORG, data_dir=tmp_path).returncode == 2
    [(exercise, tests)] = stored(database)
    assert exercise.statement["fr"].startswith("# Moyenne des notes") and len(tests) == 5


def test_an_unknown_organisation_is_refused(database: Database, folder: Path,
                                            tmp_path: Path) -> None:
    refused = lab(str(folder), "--org", "Nulle part", data_dir=tmp_path)
    assert refused.returncode == 2 and "no organisation named 'Nulle part'" in refused.stderr
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Exercise)) == 0
