"""Item scoring: throughput per item type, and a provincial cohort scored as grading does it.

    python bench/item_scoring.py --students 90000 --items 40 --db sqlite postgresql

In one invocation, on this machine:

1. **Per type**: every (content, response) pair of the cohort's first
   ``--per-type-students`` students is grouped by item type and scored in a tight loop
   with the type's ``score`` (one core; best of ``--repeat``).
2. **Cohort, pure scoring**: ``--students`` × ``--items`` responses go through
   ``exam_engine.grading.score_slots``, the part of ``grade_attempt`` that calls the types
   (registry lookup, ``score``, totals), one attempt at a time: first on one core, then
   on ``--workers`` processes at once (one per core, as Celery workers would take
   attempts), each scoring its share of the students. Responses are generated before the
   clock starts (each process generates its own share); the wall time of the parallel
   run is from the moment all workers pass a barrier to the last one finishing.
3. **Cohort, through the database** (``--db``): ``--db-attempts`` submitted attempts are
   graded end to end with ``grade_attempt``, each in its own unit of work as the Celery
   task does (row lock, slots, item versions, writes, commit), on SQLite and/or
   PostgreSQL; the per-attempt cost is then extrapolated to the whole cohort. The totals
   the database holds are checked against the pure scoring of the same responses.

The cohort (items and responses) comes from ``bench/item_scoring_data.py`` and is fixed
by ``--seed``. Prints Markdown tables and writes ``--json`` if asked.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from ardoise import migrate  # noqa: E402
from ardoise.clock import utcnow  # noqa: E402
from ardoise.db import Database  # noqa: E402
from bench.exam_load_data import drop_pg_database, recreate_pg_database  # noqa: E402
from bench.item_scoring_data import (  # noqa: E402
    CohortItem,
    Response,
    cohort,
    make_exam,
    objective_types,
    student_responses,
)
from exam_engine import attempts, exams, grading, sittings  # noqa: E402
from exam_engine.models import Attempt  # noqa: E402
from item_bank import service as items  # noqa: E402
from item_bank.registry import ItemTypeRegistry, default_registry  # noqa: E402
from student_records import service as records  # noqa: E402
from student_records.models import OrgKind, Role  # noqa: E402

GOAL_SECONDS = 60.0
PG_DATABASE = "ardoise_bench_scoring"  # recreated for the run, dropped after it
TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait)."""
    with open("/proc/stat") as stat:
        parts = [int(v) for v in stat.readline().split()[1:8]]
    return (sum(parts) - parts[3] - parts[4]) / TICKS


def wait_for_quiet(limit_s: float, threshold: float = 25.0) -> float:
    """Wait (at most ``limit_s``) until other work uses under ``threshold`` % of a core.

    The machine is shared: a figure taken while another process holds a core says
    little about ours. Returns the last background load seen, in % of one core.
    """
    deadline = time.monotonic() + limit_s
    while True:
        cpu0, wall0 = machine_busy(), time.monotonic()
        time.sleep(2.0)
        load = 100 * (machine_busy() - cpu0) / (time.monotonic() - wall0)
        if load < threshold or time.monotonic() >= deadline:
            return round(load)


# -- per type ------------------------------------------------------------------------

def per_type(registry: ItemTypeRegistry, exam: list[CohortItem], seed: int, students: int,
             repeat: int) -> dict[str, dict[str, float]]:
    pairs: dict[str, list[tuple[Any, Response]]] = defaultdict(list)
    for responses in cohort(exam, seed, 0, students):
        for item, response in zip(exam, responses, strict=True):
            pairs[item.item_type].append((item.content, response))
    figures = {}
    for name in sorted(pairs):
        score = registry.get(name).score
        work = pairs[name]
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            for content, response in work:
                score(content, response)
            best = min(best, time.perf_counter() - started)
        figures[name] = {"scores": len(work), "us_per_score": round(best / len(work) * 1e6, 2),
                         "scores_per_s": round(len(work) / best)}
    return figures


# -- the cohort, pure scoring ---------------------------------------------------------

def score_share(registry: ItemTypeRegistry, exam: list[CohortItem],
                responses: list[list[Response]]) -> tuple[float, int]:
    """Grade each attempt of ``responses`` as grade_attempt does; (sum of totals, scores)."""
    kinds = [(item.item_type, item.content) for item in exam]
    grand = 0.0
    count = 0
    for answers in responses:
        graded = grading.score_slots(
            registry, [(kind, content, response)
                       for (kind, content), response in zip(kinds, answers, strict=True)])
        grand += graded.total
        count += len(graded.scores)
    return grand, count


def _worker(args: tuple[int, int, int, int, Any]) -> tuple[float, ...]:
    """One process's share: generate it, wait for the others, score it. Timestamps back."""
    seed, item_count, first, count, barrier = args
    registry = default_registry()
    exam = make_exam(registry, seed, item_count)
    share = cohort(exam, seed, first, count)
    gc.collect()
    gc.freeze()  # the generated cohort is long-lived; keep the collector off it
    barrier.wait()
    started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    cpu, busy = time.process_time(), machine_busy()
    grand, scored = score_share(registry, exam, share)
    return (started, time.perf_counter(), grand, scored, time.process_time() - cpu,
            busy, machine_busy())


def cohort_run(seed: int, item_count: int, students: int, workers: int,
               quiet_s: float) -> dict[str, float]:
    """Score ``students`` attempts on ``workers`` processes; wall seconds from the barrier."""
    shares = [(w * students // workers, (w + 1) * students // workers) for w in range(workers)]
    context = multiprocessing.get_context("fork")
    background = wait_for_quiet(quiet_s)
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(workers)
        with context.Pool(workers) as pool:
            pending = pool.map_async(_worker, [(seed, item_count, first, end - first, barrier)
                                               for first, end in shares], chunksize=1)
            results = pending.get()
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    scored = sum(r[3] for r in results)
    cpu = sum(r[4] for r in results)
    # The machine's busy CPU over the scoring window, less ours: other work meanwhile.
    other = max(0.0, max(r[6] for r in results) - min(r[5] for r in results) - cpu)
    return {"workers": workers, "seconds": round(wall, 2), "scores": scored,
            "scores_per_s": round(scored / wall), "cpu_seconds": round(cpu, 2),
            "background_before_pct": background,
            "background_during_pct": round(100 * other / wall),
            "sum_of_totals": round(sum(r[2] for r in results), 2)}


# -- the cohort, through the database -------------------------------------------------

def seed_database(url: str, exam: list[CohortItem], seed: int, count: int) -> list[str]:
    """A school, the exam, a sitting and ``count`` submitted attempts with the cohort's answers.

    Responses are written onto the slots directly (the answer log's cost is
    bench/exam_load.py's subject); everything else goes through the services.
    """
    database = Database(url)
    try:
        now = utcnow()
        with database.session() as session:
            board = records.create_organisation(session, "Scoring Board", OrgKind.BOARD)
            school = records.create_organisation(session, "Scoring School", OrgKind.SCHOOL,
                                                 board)
            klass = records.create_class(session, school, "Cohorte", "COHORT")
            teacher = records.create_person(session, "scoring-teacher", given_name="Bench",
                                            family_name="Teacher")
            records.assign_role(session, teacher, Role.TEACHER, school)
            versions = [items.create_item(session, school.id, item.item_type, f"Q{n}",
                                          item.authored, author_id=teacher.id)
                        for n, item in enumerate(exam)]
            position = {v.id: n for n, v in enumerate(versions)}
            exam_row = exams.create_exam(session, school.id, "Épreuve", teacher.id,
                                         [v.item_id for v in versions])
            sitting = sittings.schedule_sitting(
                session, exam_row, title="Épreuve", opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(hours=3), time_limit_seconds=3 * 3600,
                class_id=klass.id, author_id=teacher.id)
            students = []
            for student in range(count):
                person = records.create_person(session, f"eleve{student:06d}",
                                               given_name="Élève", family_name=str(student))
                records.assign_role(session, person, Role.STUDENT, school)
                records.enrol(session, klass, person, Role.STUDENT)
                students.append(person.id)
            sitting_id = sitting.id
        attempt_ids = []
        for student, person_id in enumerate(students):
            responses = student_responses(exam, seed, student)
            with database.session() as session:
                attempt = attempts.start_or_resume(session, sitting_id, person_id, now)
                for slot in attempts.slots_of(session, attempt.id):
                    slot.response = responses[position[slot.item_version_id]]
                attempts.submit(session, attempt, now, "student", 2.0)
                attempt_ids.append(attempt.id)
        return attempt_ids
    finally:
        database.dispose()


def grade_through(url: str, attempt_ids: list[str]) -> tuple[float, float]:
    """Grade each attempt in its own unit of work, as the Celery task does.

    Returns wall seconds and this process's CPU seconds (the database server's CPU is
    not in it); CPU holds up better than wall time on a machine shared with other work.
    """
    database = Database(url)
    try:
        with database.session() as session:  # warm: imports, registry, first connection
            grading.grade_attempt(session, attempt_ids[0], utcnow())
        started, cpu = time.perf_counter(), time.process_time()
        for attempt_id in attempt_ids[1:]:
            with database.session() as session:
                grading.grade_attempt(session, attempt_id, utcnow())
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        database.dispose()


def check_totals(url: str, registry: ItemTypeRegistry) -> int:
    """How many attempts' stored totals differ from the pure scoring of their answers."""
    database = Database(url)
    try:
        wrong = 0
        with database.session() as session:
            for attempt_id, score in session.execute(select(Attempt.id, Attempt.score)).all():
                answered = [(*items.version_type_and_content(session, s.item_version_id),
                             s.response) for s in attempts.slots_of(session, attempt_id)]
                wrong += score != grading.score_slots(registry, answered).total
        return wrong
    finally:
        database.dispose()


def database_run(kind: str, exam: list[CohortItem], seed: int, count: int,
                 pg_admin: str, registry: ItemTypeRegistry, quiet_s: float) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="ardoise-scoring-"))
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'ardoise.db'}"
    else:
        url = recreate_pg_database(pg_admin, PG_DATABASE)
    try:
        migrate.upgrade(url)
        started = time.perf_counter()
        attempt_ids = seed_database(url, exam, seed, count)
        seeded = time.perf_counter() - started
        background = wait_for_quiet(quiet_s)
        seconds, cpu = grade_through(url, attempt_ids)
        mismatches = check_totals(url, registry)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if kind == "postgresql":
            drop_pg_database(pg_admin, PG_DATABASE)
    graded = len(attempt_ids) - 1
    return {"attempts": graded, "seconds": round(seconds, 2),
            "ms_per_attempt": round(seconds / graded * 1000, 2),
            "cpu_ms_per_attempt": round(cpu / graded * 1000, 2),
            "seed_seconds": round(seeded, 1), "background_before_pct": background,
            "mismatched_totals": mismatches}


# -- output ---------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=90_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--per-type-students", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", nargs="*", default=[], choices=["sqlite", "postgresql"])
    parser.add_argument("--db-attempts", type=int, default=300)
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="wait up to this many seconds for other work to calm down "
                             "before each timed cohort run")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    registry = default_registry()
    used, left_out = objective_types(registry)
    exam = make_exam(registry, args.seed, args.items)
    mix = {name: sum(1 for i in exam if i.item_type == name) for name in used}
    print(f"exam: {args.items} items: " + ", ".join(f"{n} {k}" for k, n in mix.items()))
    if left_out:
        print(f"left out of the cohort (manually graded or no generator): {', '.join(left_out)}")

    figures: dict[str, Any] = {"mix": mix, "left_out": left_out}
    figures["per_type"] = per_type(registry, exam, args.seed, args.per_type_students,
                                   args.repeat)
    print("\n| item type | items in the exam | scores timed | µs per score | scores/s (1 core) |")
    print("|---|---:|---:|---:|---:|")
    for name, row in figures["per_type"].items():
        print(f"| {name} | {mix[name]} | {row['scores']:,} | {row['us_per_score']} | "
              f"{row['scores_per_s']:,} |")

    runs = [cohort_run(args.seed, args.items, args.students, 1, args.quiet_wait)]
    if args.workers > 1:
        runs.append(cohort_run(args.seed, args.items, args.students, args.workers,
                               args.quiet_wait))
    figures["cohort"] = runs
    total_scores = args.students * args.items
    print(f"\nCohort: {args.students:,} students × {args.items} items = {total_scores:,} scores "
          f"through exam_engine.grading.score_slots (goal: under {GOAL_SECONDS:.0f} s)\n")
    print("| processes | wall s | scores/s | CPU s (all processes) | other work before / "
          "during, % of a core | sum of attempt totals | goal met |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        print(f"| {run['workers']} | {run['seconds']} | {run['scores_per_s']:,} | "
              f"{run['cpu_seconds']} | {run['background_before_pct']} / "
              f"{run['background_during_pct']} | "
              f"{run['sum_of_totals']:,} | {'yes' if run['seconds'] < GOAL_SECONDS else 'NO'} |")
    if len({run["sum_of_totals"] for run in runs}) != 1:
        print("WARNING: the runs disagree on the cohort's totals")

    if args.db:
        figures["database"] = {}
        print(f"\nThrough the database: grade_attempt on {args.db_attempts} attempts of "
              f"{args.items} items, one unit of work each, one process; the cohort figures "
              f"are extrapolated: ms per attempt × {args.students:,} attempts "
              f"(÷ {args.workers} processes)\n")
        print("| database | attempts graded | ms per attempt | grader CPU ms per attempt | "
              "measured s | "
              f"cohort s, 1 process (extrapolated) | cohort s, {args.workers} processes "
              "(extrapolated, if they scale) | other work before, % of a core | "
              "totals ≠ pure scoring |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind in args.db:
            row = database_run(kind, exam, args.seed, args.db_attempts, args.pg_admin, registry,
                               args.quiet_wait)
            cohort_s = row["ms_per_attempt"] / 1000 * args.students
            row["cohort_seconds_1"] = round(cohort_s)
            row["cohort_seconds_n"] = round(cohort_s / args.workers)
            figures["database"][kind] = row
            print(f"| {kind} | {row['attempts']} | {row['ms_per_attempt']} | "
                  f"{row['cpu_ms_per_attempt']} | {row['seconds']} | "
                  f"{row['cohort_seconds_1']:,} | {row['cohort_seconds_n']:,} | "
                  f"{row['background_before_pct']} | {row['mismatched_totals']} |")

    command = "python bench/item_scoring.py " + shlex.join(sys.argv[1:])
    print(f"\n{command}")
    if args.json:
        figures["command"] = command
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
