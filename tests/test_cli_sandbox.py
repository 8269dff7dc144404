"""``ardoise sandbox``: run, doctor and images, as an operator runs them (real sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ardoise.cli.commands import cli
from sandbox.backends import BACKEND_NAMES

#: A Docker engine address where there is none: what a worker without the engine sees.
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def ardoise(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    clean.update({"ARDOISE_DATA_DIR": str(data_dir), **env})
    return subprocess.run([sys.executable, "-m", "ardoise", *args], env=clean, text=True,
                          capture_output=True, timeout=600, check=False)


def run_json(*args: str, data_dir: Path, **env: str) -> dict[str, Any]:
    """``ardoise sandbox run ARGS``: exit 0 and exactly one JSON object on stdout."""
    done = ardoise("sandbox", "run", *args, data_dir=data_dir, **env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    return json.loads(lines[0])  # type: ignore[no-any-return]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_run_prints_the_result_as_one_json_object(tmp_path: Path, backend: str) -> None:
    # The extra file is read, not imported: python3 runs in isolated mode (-I).
    program = write(tmp_path / "bonjour.py",
                    "import sys\nsalut = open('salut.txt').read().strip()\n"
                    "print(salut, sys.argv[1:], sys.stdin.read().upper())\n")
    helper = write(tmp_path / "salut.txt", "bonjour\n")
    stdin = write(tmp_path / "entree.txt", "élève\n")
    result = run_json("--language", "python3", str(program), "--backend", backend,
                      "--stdin", str(stdin), "--arg", "un", "--arg", "deux words",
                      "--file", str(helper), data_dir=tmp_path)
    assert result["status"] == "ok", result
    assert result["stdout"] == "bonjour ['un', 'deux words'] ÉLÈVE\n\n"
    assert result["exit_code"] == 0 and result["signal"] is None
    assert set(result) >= {"stderr", "truncated", "compile_output", "cpu_ms", "wall_ms",
                           "memory_kb"}


def test_a_program_over_its_time_limit_still_exits_0(tmp_path: Path) -> None:
    program = write(tmp_path / "boucle.py", "while True:\n    pass\n")
    result = run_json("--language", "python3", str(program), "--time-limit", "1",
                      data_dir=tmp_path)
    assert result["status"] == "time_limit", result
    assert 900 <= result["cpu_ms"] < 3000


def test_a_compile_error_is_a_result(tmp_path: Path) -> None:
    program = write(tmp_path / "faux.c", "int main(void) { return oops; }\n")
    result = run_json("--language", "c", str(program), data_dir=tmp_path)
    assert result["status"] == "compile_error" and "oops" in result["compile_output"]


def test_a_java_file_of_any_name_runs_as_main_java(tmp_path: Path) -> None:
    program = write(tmp_path / "Bonjour.java", 'public class Main {\n'
                    '  public static void main(String[] a) { System.out.println("salut"); }\n}\n')
    result = run_json("--language", "java", str(program), "--memory-limit", "512",
                      data_dir=tmp_path)
    assert result["status"] == "ok" and result["stdout"] == "salut\n", result


@pytest.mark.parametrize(("args", "message"), [
    (["--language", "cobol"], "unknown language 'cobol'"),
    (["--language", "python3", "--time-limit", "0"], "cpu_seconds"),
    (["--language", "python3", "--time-limit", "soon"], "soon"),
    (["--language", "python3", "--memory-limit", "1"], "memory_mb"),
    (["--language", "python3", "--backend", "vm"], "vm"),
])
def test_bad_usage_exits_2_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    program = write(tmp_path / "main.py", "print(1)\n")
    done = CliRunner().invoke(cli, ["sandbox", "run", *args, str(program)])
    assert done.exit_code == 2, done.output
    assert message in done.output and not done.stdout.startswith("{")


def test_unreadable_and_unsafe_files_are_bad_usage(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["sandbox", "run", "--language", "python3",
                                  str(tmp_path / "absent.py")])
    assert missing.exit_code == 2 and "absent.py" in missing.output
    hidden = write(tmp_path / ".cache.py", "print(1)\n")
    unsafe = runner.invoke(cli, ["sandbox", "run", "--language", "python3", str(hidden)])
    assert unsafe.exit_code == 2 and "unsafe file name" in unsafe.output
    program = write(tmp_path / "main.py", "print(1)\n")
    twice = runner.invoke(cli, ["sandbox", "run", "--language", "python3", str(program),
                                "--file", str(program)])
    assert twice.exit_code == 2 and "two files named 'main.py'" in twice.output


def test_an_unavailable_backend_says_why_and_runs_nothing(tmp_path: Path) -> None:
    program = write(tmp_path / "main.py", "print(1)\n")
    done = ardoise("sandbox", "run", "--language", "python3", str(program), "--backend",
                   "docker", data_dir=tmp_path, **NO_ENGINE)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stdout == "" and "docker" in done.stderr


def test_doctor_lists_both_backends_with_what_each_lacks(tmp_path: Path) -> None:
    done = ardoise("sandbox", "doctor", "--json", data_dir=tmp_path,
                   ARDOISE_SANDBOX_BACKEND="process", **NO_ENGINE)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    backends = {b["name"]: b for b in report["backends"]}
    assert set(backends) == {"process", "docker"}
    assert backends["process"] == {"name": "process", "available": True, "missing": []}
    assert backends["docker"]["available"] is False and backends["docker"]["missing"]
    assert report["configured"] == "process" and report["usable"] is True
    assert report["languages"] == {"c": True, "cpp": True, "java": True, "javascript": True,
                                   "python3": True}

    # The configured backend cannot run code here: exit 1, and the text says why.
    text = ardoise("sandbox", "doctor", data_dir=tmp_path, ARDOISE_SANDBOX_BACKEND="docker",
                   **NO_ENGINE)
    assert text.returncode == 1, text.stderr
    assert "docker: cannot run code here" in text.stdout
    assert "process: can run code here" in text.stdout


def test_images_build_without_an_engine_builds_the_root_file_system_only(
        tmp_path: Path) -> None:
    rootfs_only = ardoise("sandbox", "images", "build", "--no-docker", data_dir=tmp_path,
                          **NO_ENGINE)
    assert rootfs_only.returncode == 0, rootfs_only.stderr
    assert "sandbox:" in rootfs_only.stdout
    unreachable = ardoise("sandbox", "images", "build", data_dir=tmp_path, **NO_ENGINE)
    assert unreachable.returncode == 1
    assert "the Docker image was not built" in unreachable.stderr


def test_images_prune_removes_other_recipes_builds_only(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = cache / "bookworm-000000000000" / "rootfs"
    old.mkdir(parents=True)
    (old / "marker").write_text("old recipe")
    crashed = cache / ".build-1234"
    crashed.mkdir()
    unrelated = cache / "notes"
    unrelated.mkdir()
    pruned = ardoise("sandbox", "images", "prune", "--no-docker", data_dir=tmp_path,
                     ARDOISE_SANDBOX_CACHE=str(cache))
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 2 build(s)" in pruned.stdout
    assert not old.parent.exists() and not crashed.exists()
    assert unrelated.exists()
