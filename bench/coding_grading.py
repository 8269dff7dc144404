"""Coding-lab grading: submissions graded per minute, end to end through Celery and the sandbox.

    python bench/coding_grading.py --submissions 200 --concurrency 2 [--backend process]
        [--notebooks 10] [--only code|notebook]

In one invocation, on this machine, on a fresh migrated PostgreSQL database:

1. A school, a class of ``--students`` students and a **10-test Python exercise** (input/
   output tests, the default comparison, verified by its reference solution and
   published), given to the class as an assignment with no attempt limit.
2. **Celery, end to end**: a real ``ardoise worker --queues sandbox --concurrency C``
   (prefork) on Redis. ``--submissions`` submissions are recorded by
   ``coding_lab.assignments.submit`` and queued by ``ardoise.worker.lab.queue_grading``,
   as the REST endpoint does (the ``queued`` status is published to Socket.IO's Redis
   channel too); the clock runs from the first queued to the last ``graded`` row. Each
   job is the product's task: mark running, the harness (all 10 tests in one sandbox run),
   the grade stored under the row lock, the status published. A warm-up of 2 × C
   submissions goes first and is not counted.
3. **Baselines on the same submissions' code, same C callers at once**, without Celery:
   - *harness in-process*: ``coding_lab.harness.grade`` (one sandbox run per
     submission), nothing stored — what the queue, the worker and the database add;
   - *one run per test*: each of the 10 tests as its own sandbox run (``sandbox.run``,
     then the same comparison), which is what a grader without a harness does.

Every graded submission is checked (the right program gets every point; the figures are
worthless otherwise). Submissions per minute = submissions / wall time × 60.

4. **The notebook half**: a **20-cell nbgrader notebook** (an introduction, a locked setup
   cell, nine answer cells each followed by its test cell: 19 code cells), saved as the
   product's notebook exercise (``coding_lab.notebook_exercises``: checked, verified by its
   own solutions in the sandbox, published) and given to the class; right answers handed in
   by ``submit_notebook`` and queued by ``ardoise.worker.lab.queue_grading``, as the page
   does, then graded by the same real ``ardoise worker`` (sandbox queue) as the code half:
   restored, run with a real IPython kernel in the sandbox, scored, and the grade, the
   altered cells and the feedback notebook in both languages stored. ``--notebooks``
   notebooks one after the other (the latency of one grading: queued → graded in the
   database, polled every 50 ms), then as many queued at once (notebooks per minute); the
   baseline is ``coding_lab.notebooks.grade_notebook`` called in-process, one after the
   other. A warm-up of 2 is not counted; every grading is checked to give every point.

``--only code`` or ``--only notebook`` runs one half.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ardoise import migrate  # noqa: E402
from ardoise.celery_app import configure_celery  # noqa: E402
from ardoise.clock import utcnow  # noqa: E402
from ardoise.config import Config  # noqa: E402
from ardoise.db import Database  # noqa: E402
from ardoise.worker.context import bind  # noqa: E402
from ardoise.worker.lab import queue_grading  # noqa: E402
from bench.exam_load_data import drop_pg_database, recreate_pg_database  # noqa: E402
from bench.item_scoring import wait_for_quiet  # noqa: E402
from coding_lab import assignments, exercises, notebook_exercises, notebooks  # noqa: E402
from coding_lab.comparison import Comparison, outputs_match  # noqa: E402
from coding_lab.exercises import ExerciseSpec, TestSpec  # noqa: E402
from coding_lab.harness import TestCase, TestLimits, grade  # noqa: E402
from coding_lab.models import Submission  # noqa: E402
from coding_lab.notebook_exercises import NotebookSpec  # noqa: E402
from sandbox import Limits, RunSpec  # noqa: E402
from sandbox import run as sandbox_run  # noqa: E402
from sandbox.backends import get_backend  # noqa: E402
from student_records import service as records  # noqa: E402
from student_records.models import OrgKind, Role  # noqa: E402

GOAL_PER_MINUTE = 600
GOAL_NOTEBOOK_SECONDS = 3.0
PG_DATABASE = "ardoise_bench_lab"  # recreated for the run, dropped after it
# A typical beginner's exercise: read numbers, print their sum, the largest and the mean.
SOLUTION = ("values = [int(word) for word in input().split()]\n"
            "print(sum(values))\nprint(max(values))\nprint(round(sum(values) / len(values), 2))\n")


def exercise_spec() -> ExerciseSpec:
    tests = []
    for n in range(10):
        values = [(n * 7 + k * 13) % 50 - 10 for k in range(3 + n)]
        expected = f"{sum(values)}\n{max(values)}\n{round(sum(values) / len(values), 2)}\n"
        tests.append(TestSpec(f"test{n + 1}", " ".join(map(str, values)) + "\n", expected,
                              hidden=n >= 5))
    return ExerciseSpec(title="Somme, maximum, moyenne", language="python3",
                        statement={"fr": "Lisez des entiers ; affichez leur somme, le plus "
                                         "grand et la moyenne."},
                        solution=SOLUTION, tests=tests)


def seed_school(session: Any, students: int, name: str = "Bench") -> tuple[Any, Any, Any,
                                                                           list[str]]:
    """A school, its teacher and a class of ``students``."""
    board = records.create_organisation(session, f"{name} Board", OrgKind.BOARD)
    school = records.create_organisation(session, f"{name} School", OrgKind.SCHOOL, board)
    klass = records.create_class(session, school, "Informatique 5", "INF5")
    teacher = records.create_person(session, "bench-teacher", password=None)
    records.assign_role(session, teacher, Role.TEACHER, school)
    ids = []
    for n in range(students):
        student = records.create_person(session, f"bench-student{n}", password=None)
        records.assign_role(session, student, Role.STUDENT, school)
        records.enrol(session, klass, student, Role.STUDENT)
        ids.append(student.id)
    return school, klass, teacher, ids


def seed(database: Database, students: int) -> tuple[str, list[str], list[TestCase]]:
    now = utcnow()
    with database.session() as session:
        school, klass, teacher, ids = seed_school(session, students)
        exercise = exercises.create_exercise(session, school.id, exercise_spec(), teacher.id,
                                             now)
        if exercise.verified_at is None:
            raise SystemExit(f"the reference solution fails: {exercise.verification}")
        exercises.publish(session, exercise.id)
        assignment = assignments.create_assignment(
            session, exercise.id, klass.id, opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=1))
        return assignment.id, ids, exercises.test_cases(session, exercise)


def submit_all(database: Database, assignment_id: str, students: list[str],
               count: int) -> list[Submission]:
    """Record ``count`` submissions (round robin over the students), committed."""
    made = []
    with database.session() as session:
        for n in range(count):
            made.append(assignments.submit(session, assignment_id, students[n % len(students)],
                                           SOLUTION + f"# {n}\n", utcnow()))
    return made


def graded_count(database: Database, ids: list[str]) -> tuple[int, int]:
    with database.session() as session:
        rows = session.execute(select(Submission.status, func.count()).where(
            Submission.id.in_(ids)).group_by(Submission.status)).all()
    counts = dict(rows)
    return counts.get("graded", 0), counts.get("error", 0)


def wait_graded(database: Database, ids: list[str], timeout: float) -> float:
    """Seconds until every submission of ``ids`` is graded (polled every 50 ms)."""
    started = time.perf_counter()
    while True:
        graded, errors = graded_count(database, ids)
        if errors:
            raise SystemExit(f"{errors} submissions ended in error")
        if graded == len(ids):
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"only {graded}/{len(ids)} graded after {timeout} s")
        time.sleep(0.05)


def celery_round(database: Database, assignment_id: str, students: list[str],
                 count: int, timeout: float) -> dict[str, Any]:
    made = submit_all(database, assignment_id, students, count)
    ids = [s.id for s in made]
    started = time.perf_counter()
    for submission in made:
        queue_grading(submission)
    wait_graded(database, ids, timeout)
    wall = time.perf_counter() - started
    with database.session() as session:
        rows = list(session.scalars(select(Submission).where(Submission.id.in_(ids))))
    wrong = [r.id for r in rows if r.score != r.max_score]
    if wrong:
        raise SystemExit(f"{len(wrong)} right submissions did not get every point: {wrong[:3]}")
    latency = sorted((r.graded_at - r.submitted_at).total_seconds() for r in rows
                     if r.graded_at is not None)
    return {"submissions": count, "wall_s": round(wall, 2),
            "per_minute": round(count / wall * 60),
            "latency_median_s": round(statistics.median(latency), 2)}


def harness_round(tests: list[TestCase], count: int, concurrency: int,
                  backend: str) -> dict[str, Any]:
    def one(n: int) -> None:
        graded = grade("python3", {"main.py": SOLUTION + f"# {n}\n"}, tests, backend=backend)
        if graded.score != graded.max_score:
            raise SystemExit(f"the harness failed the right program: {graded}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return {"submissions": count, "wall_s": round(wall, 2),
            "per_minute": round(count / wall * 60)}


def per_test_round(tests: list[TestCase], count: int, concurrency: int,
                   backend: str) -> dict[str, Any]:
    limits = TestLimits()
    comparison = Comparison()

    def one(n: int) -> None:
        for test in tests:
            result = sandbox_run(RunSpec(
                language="python3", files={"main.py": SOLUTION + f"# {n}\n"}, stdin=test.stdin,
                limits=Limits(cpu_seconds=limits.cpu_seconds, memory_mb=limits.memory_mb)),
                backend=backend)
            if not outputs_match(result.stdout, test.expected, comparison):
                raise SystemExit(f"a run per test failed the right program: {result}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return {"submissions": count, "wall_s": round(wall, 2),
            "per_minute": round(count / wall * 60)}


# -- the notebook half ------------------------------------------------------------------

def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False,
              points: int | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                            "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def notebook_pair() -> tuple[str, str]:
    """A 20-cell teacher notebook (19 code cells) and a submission with right answers."""
    cell = {"markdown": lambda source, meta: {"cell_type": "markdown", "metadata": meta,
                                              "source": source},
            "code": lambda source, meta: {"cell_type": "code", "metadata": meta,
                                          "source": source, "outputs": [],
                                          "execution_count": None}}
    cells = [cell["markdown"]("# Fonctions\n\nComplétez chaque fonction.", _nbgrader("intro")),
             cell["code"]("import math\n\nNOMBRES = [1, 2, 3, 4]", _nbgrader("setup"))]
    for n in range(9):
        cells.append(cell["code"](
            f"def f{n}(x):\n    \"\"\"x times {n}, plus one.\"\"\"\n    ### BEGIN SOLUTION\n"
            f"    return x * {n} + 1\n    ### END SOLUTION", _nbgrader(f"f{n}", solution=True)))
        cells.append(cell["code"](
            f"assert f{n}(3) == {3 * n + 1}\nprint('f{n}:', [f{n}(v) for v in NOMBRES])",
            _nbgrader(f"test_f{n}", grade=True, points=1)))
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3",
                                                            "display_name": "Python 3",
                                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    source = json.dumps(notebook)
    handed_in = notebooks.read_notebook(
        notebooks.student_version_bytes(notebooks.load_assignment(source)))
    for answer in handed_in.cells:
        if answer.cell_type == "code" and answer.source.startswith("def f"):
            n = int(answer.source[5])
            answer.source = f"def f{n}(x):\n    return x * {n} + 1\n"
    return source, json.dumps(handed_in)


def seed_notebook(database: Database, students: int, source: str,
                  backend: str) -> tuple[str, list[str]]:
    """The class of ``students`` and the notebook exercise given to it."""
    now = utcnow()
    with database.session() as session:
        school, klass, teacher, ids = seed_school(session, students, "Bench Notebook")
        exercise = notebook_exercises.create_notebook_exercise(
            session, school.id, NotebookSpec(title="Fonctions", statement={"fr": "Complétez."},
                                             source=source.encode()),
            teacher.id, now, backend=backend)
        if exercise.verified_at is None:
            raise SystemExit(f"the teacher's notebook fails: {exercise.verification}")
        exercises.publish(session, exercise.id)
        assignment = assignments.create_assignment(
            session, exercise.id, klass.id, opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=1))
        return assignment.id, ids


def notebook_round(database: Database, assignment_id: str, students: list[str],
                   submission: str, count: int, at_once: bool,
                   timeout: float) -> dict[str, Any]:
    """``count`` notebooks handed in and graded by the worker, one after the other or all
    queued at once."""
    latencies: list[float] = []
    ids: list[str] = []

    def hand_in(n: int) -> Submission:
        with database.session() as session:
            return notebook_exercises.submit_notebook(
                session, assignment_id, students[n % len(students)], submission.encode(),
                utcnow())

    started = time.perf_counter()
    if at_once:
        made = [hand_in(n) for n in range(count)]
        for handed in made:
            queue_grading(handed)
        ids = [m.id for m in made]
        wait_graded(database, ids, timeout)
    else:
        for n in range(count):
            queued = time.perf_counter()
            handed = hand_in(n)
            queue_grading(handed)
            wait_graded(database, [handed.id], timeout)
            latencies.append(time.perf_counter() - queued)
            ids.append(handed.id)
    wall = time.perf_counter() - started
    with database.session() as session:
        rows = list(session.scalars(select(Submission).where(Submission.id.in_(ids))))
    wrong = [(r.score, r.max_score) for r in rows if r.score != r.max_score or not r.max_score]
    if wrong:
        raise SystemExit(f"the right notebook did not get every point: {wrong[:3]}")
    figures: dict[str, Any] = {"notebooks": count, "wall_s": round(wall, 2),
                               "per_minute": round(count / wall * 60, 1)}
    if latencies:
        figures.update(_spread(latencies))
    return figures


def notebook_baseline(source: str, submission: str, count: int,
                      backend: str) -> dict[str, Any]:
    """``grade_notebook`` called in-process, one after the other (no Celery), after one
    not counted (this process's first run starts its sandbox machinery)."""
    notebooks.grade_notebook(source, submission, backend=backend)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        report = notebooks.grade_notebook(source, submission, backend=backend)
        latencies.append(time.perf_counter() - started)
        if report.results["score"] != report.results["max_score"]:
            raise SystemExit(f"the right notebook did not get every point: {report.results}")
    return {"notebooks": count, "wall_s": round(sum(latencies), 2),
            "per_minute": round(count / sum(latencies) * 60, 1), **_spread(latencies)}


def _spread(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"median_s": round(statistics.median(ordered), 2), "min_s": round(ordered[0], 2),
            "max_s": round(ordered[-1], 2)}


def _started(argv: list[str], workdir: Path, env: dict[str, str],
             name: str) -> subprocess.Popen[bytes]:
    log = open(workdir / name, "wb")  # noqa: SIM115 - kept for the child's life
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while b"ready." not in (workdir / name).read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit((workdir / name).read_text(errors="replace"))
        time.sleep(0.1)
    return proc


def notebook_half(args: argparse.Namespace, workdir: Path, env: dict[str, str],
                  backend: str) -> dict[str, Any]:
    source, submission = notebook_pair()
    with product_database(args, workdir, env) as (database, worker_env):
        assignment_id, students = seed_notebook(database, args.students, source, backend)
        with running_worker(workdir, worker_env, args.concurrency):
            notebook_round(database, assignment_id, students, submission, 2, False,
                           args.timeout)
            load = wait_for_quiet(args.quiet_wait)
            return {
                "load": load,
                "one_at_a_time": notebook_round(database, assignment_id, students, submission,
                                                args.notebooks, False, args.timeout),
                "all_at_once": notebook_round(database, assignment_id, students, submission,
                                              args.notebooks, True, args.timeout),
                "in_process": notebook_baseline(source, submission, args.notebooks, backend),
            }


@contextmanager
def product_database(args: argparse.Namespace, workdir: Path,
                     env: dict[str, str]) -> Iterator[tuple[Database, dict[str, str]]]:
    """A fresh migrated PostgreSQL database bound for this process and Celery, and the
    environment a worker needs for it; dropped afterwards."""
    url = recreate_pg_database(args.pg_admin, PG_DATABASE)
    migrate.upgrade(url)
    database = Database(url)
    bind(database)
    configure_celery(Config(data_dir=workdir, database_url=url, redis_url=args.redis_url,
                            secret_key="bench"))
    try:
        yield database, {**env, "ARDOISE_DATABASE_URL": url}
    finally:
        database.dispose()
        drop_pg_database(args.pg_admin, PG_DATABASE)


@contextmanager
def running_worker(workdir: Path, env: dict[str, str], concurrency: int) -> Iterator[None]:
    worker = start_worker(workdir, env, concurrency)
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(30)


def print_notebook_figures(figures: dict[str, Any], args: argparse.Namespace,
                           backend: str) -> None:
    print(f"\nA 20-cell notebook (19 code cells), {args.notebooks} per round, worker of "
          f"{args.concurrency} processes, sandbox backend {backend}; background load before: "
          f"{figures['load']} % of a core\n")
    print("| path | notebooks | median s | min s | max s | notebooks/min |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = {"one_at_a_time": "Celery worker + sandbox, one after the other",
            "all_at_once": "Celery worker + sandbox, all queued at once",
            "in_process": "baseline: grade_notebook in-process, one after the other"}
    for key, name in rows.items():
        value = figures[key]
        print(f"| {name} | {value['notebooks']} | {value.get('median_s', '')} | "
              f"{value.get('min_s', '')} | {value.get('max_s', '')} | {value['per_minute']} |")
    print(f"\ngoal: one 20-cell notebook graded in under {GOAL_NOTEBOOK_SECONDS} s")


def start_worker(workdir: Path, env: dict[str, str], concurrency: int) -> subprocess.Popen[bytes]:
    return _started([sys.executable, "-m", "ardoise", "--data-dir", str(workdir), "worker",
                     "--queues", "sandbox", "--concurrency", str(concurrency)],
                    workdir, env, "worker.log")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--notebooks", type=int, default=10,
                        help="20-cell notebooks per round of the notebook half")
    parser.add_argument("--only", choices=("code", "notebook"),
                        help="run one half of the benchmark")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2,
                        help="worker processes, and callers of the baselines")
    parser.add_argument("--backend", choices=("auto", "process", "docker"), default="auto",
                        help="the sandbox backend of the worker and of the baselines")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="wait up to this many seconds for other work to calm down")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    redis.Redis.from_url(args.redis_url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    env.update({"ARDOISE_REDIS_URL": args.redis_url, "ARDOISE_DATA_DIR": str(workdir),
                "ARDOISE_SECRET_KEY": "bench", "ARDOISE_SANDBOX_BACKEND": args.backend})
    backend = get_backend(args.backend).name  # what "auto" is on this machine
    os.environ.update({"ARDOISE_REDIS_URL": args.redis_url})  # lab_events publishes there
    results: dict[str, Any] = {"backend": backend}
    if args.only != "notebook":
        results["code"] = code_half(args, workdir, env, backend)
        print_code_figures(results["code"], args, backend)
    if args.only != "code":
        results["notebook"] = notebook_half(args, workdir, env, backend)
        print_notebook_figures(results["notebook"], args, backend)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def code_half(args: argparse.Namespace, workdir: Path, env: dict[str, str],
              backend: str) -> dict[str, Any]:
    with product_database(args, workdir, env) as (database, worker_env):
        assignment_id, students, tests = seed(database, args.students)
        with running_worker(workdir, worker_env, args.concurrency):
            celery_round(database, assignment_id, students, 2 * args.concurrency,
                         args.timeout)
            load = wait_for_quiet(args.quiet_wait)
            return {
                "load": load,
                "celery": celery_round(database, assignment_id, students, args.submissions,
                                       args.timeout),
                "harness_in_process": harness_round(tests, args.submissions,
                                                    args.concurrency, backend),
                "run_per_test": per_test_round(tests, max(10, args.submissions // 5),
                                               args.concurrency, backend),
            }


def print_code_figures(figures: dict[str, Any], args: argparse.Namespace,
                       backend: str) -> None:
    print(f"\n{args.submissions} submissions of a 10-test Python exercise, "
          f"{args.concurrency} at once, sandbox backend {backend}; background load before: "
          f"{figures['load']} % of a core\n")
    print("| path | submissions | wall s | submissions/min |")
    print("|---|---:|---:|---:|")
    names = {"celery": "Celery worker + sandbox, end to end (stored, pushed)",
             "harness_in_process": "baseline: harness in-process, no Celery",
             "run_per_test": "baseline: one sandbox run per test"}
    for key, name in names.items():
        value = figures[key]
        print(f"| {name} | {value['submissions']} | {value['wall_s']} | "
              f"{value['per_minute']} |")
    print(f"\nmedian submit→graded (Celery; all queued at once, so mostly the wait in the "
          f"queue): {figures['celery']['latency_median_s']} s; goal: {GOAL_PER_MINUTE}/min")


if __name__ == "__main__":
    main()
