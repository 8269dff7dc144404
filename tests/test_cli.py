"""The command line, run as a real process the way an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from ardoise.db import Database
from exam_engine.models import Exam, Sitting
from student_records import service as records
from student_records.models import Accommodation, Person

DEMO_USERS = ["admin", "enseignant", "enseignant2", "surveillant", "correcteur"] + \
    [f"eleve{n:02d}" for n in range(1, 31)]


def ardoise(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the command with ARDOISE_DATA_DIR set (a --data-dir in ``args`` takes precedence)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    env["ARDOISE_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "ardoise", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_demo_seed_is_idempotent_and_complete(tmp_path: Path) -> None:
    first = ardoise("demo", "--seed-only", "--data-dir", str(tmp_path), data_dir=tmp_path / "x")
    assert first.returncode == 0, first.stderr
    assert "ardoise-demo" in first.stdout and "eleve01" in first.stdout
    second = ardoise("demo", "--seed-only", data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    database = Database(f"sqlite:///{tmp_path / 'ardoise.db'}")
    with database.session() as session:
        usernames = set(session.scalars(select(Person.username)))
        assert set(DEMO_USERS) <= usernames and len(usernames) == len(DEMO_USERS)
        assert session.scalar(select(func.count()).select_from(Exam)) == 1
        sittings = list(session.scalars(select(Sitting)))
        assert len(sittings) == 1 and (sittings[0].time_limit_seconds or 0) >= 3600
        assert session.scalar(select(func.count()).select_from(Accommodation)) == 1
        student = records.person_by_username(session, "eleve01")
        assert records.authenticate(session, "eleve01", "ardoise-demo") is not None
        assert student.roles[0].role.value == "student"
    database.dispose()


def test_users_and_tokens(tmp_path: Path) -> None:
    assert ardoise("db", "upgrade", data_dir=tmp_path).returncode == 0
    database = Database(f"sqlite:///{tmp_path / 'ardoise.db'}")
    with database.session() as session:
        from student_records.models import OrgKind

        records.create_organisation(session, "École Test", OrgKind.SCHOOL)
    created = ardoise("users", "create", "mme.roy", "--role", "teacher", "--org", "École Test",
                      "--password", "long-enough-1", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    duplicate = ardoise("users", "create", "mme.roy", "--role", "teacher", "--org",
                        "École Test", "--password", "long-enough-1", data_dir=tmp_path)
    assert duplicate.returncode != 0 and "username_taken" in duplicate.stderr
    token = ardoise("tokens", "create", "mme.roy", data_dir=tmp_path)
    assert token.returncode == 0
    clear = token.stdout.strip().splitlines()[-1]
    with database.session() as session:
        found = records.person_for_token(session, clear)
        assert found is not None and found[0].username == "mme.roy"
    unknown = ardoise("tokens", "create", "nobody", data_dir=tmp_path)
    assert unknown.returncode != 0
    database.dispose()
