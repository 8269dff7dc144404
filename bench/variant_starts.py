"""Starting attempts of an exam with parametrised items: prepared ahead, or not.

    python bench/variant_starts.py --students 300 --parametrised 3 --plain 7 --db postgresql

One invocation, one exam (``--parametrised`` numeric items with a generator and
``--plain`` single-choice items), two sittings of it for two classes of ``--students``:

1. **Baseline, not prepared**: every student of the first class starts, one unit of work
   per start as the web request does; each start draws its seed and runs the generator of
   every parametrised item (one guarded child process per item).
2. **Prepared**: ``prepare_sitting`` runs for the second class first (timed on its own: the
   scheduler's task, before the sitting opens), then every student starts the same way;
   each start finds its seed and its variants stored and runs no generator.

Prints the time per start (mean, median, 95th percentile) of both, and the preparation's
time. The two classes are the same size; starts are sequential (one at a time), so the
figures are the work of one start, not a contention measure.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ardoise import migrate  # noqa: E402
from ardoise.clock import utcnow  # noqa: E402
from ardoise.db import Database  # noqa: E402
from bench.exam_load_data import drop_pg_database, recreate_pg_database  # noqa: E402
from exam_engine import attempts, exams, preparation, sittings  # noqa: E402
from item_bank import service as items  # noqa: E402
from student_records import service as records  # noqa: E402
from student_records.models import OrgKind, Role  # noqa: E402

GENERATOR = """
def generate():
    a = rng.randint(12, 99)
    b = rng.randint(12, 99)
    return {"a": a, "b": b, "answer": a * b}
"""
PG_ADMIN = os.environ.get("ARDOISE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def build(url: str, students: int, parametrised: int, plain: int) -> tuple[list[str], ...]:
    """The school, the exam and two sittings, each for a class of ``students``."""
    database = Database(url)
    now = utcnow()
    with database.session() as session:
        school = records.create_organisation(session, "École", OrgKind.SCHOOL)
        teacher = records.create_person(session, "prof", password="x" * 12)
        records.assign_role(session, teacher, Role.TEACHER, school)
        item_ids = [items.create_item(session, school.id, "numeric", f"Produit {n}", {
            "stem": {"fr": f"({n}) Combien font {{{{a}}}} × {{{{b}}}} ?"},
            "answer": "{{answer}}", "generator": GENERATOR}).item_id
            for n in range(parametrised)]
        item_ids += [items.create_item(session, school.id, "single_choice", f"Choix {n}", {
            "stem": {"fr": f"Question {n}"}, "correct": "a",
            "options": [{"id": "a", "text": {"fr": "oui"}}, {"id": "b", "text": {"fr": "non"}}],
        }).item_id for n in range(plain)]
        exam = exams.create_exam(session, school.id, "Épreuve", teacher.id, item_ids)
        groups = []
        for group in ("a", "b"):
            klass = records.create_class(session, school, f"Groupe {group}", f"G{group}")
            people = []
            for n in range(students):
                student = records.create_person(session, f"{group}{n:05d}", password=None)
                records.assign_role(session, student, Role.STUDENT, school)
                records.enrol(session, klass, student, Role.STUDENT)
                people.append(student.id)
            sitting = sittings.schedule_sitting(
                session, exam, title=f"Séance {group}", opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=3), time_limit_seconds=3600,
                class_id=klass.id)
            groups.append([sitting.id, *people])
    database.dispose()
    return tuple(groups)


def start_all(url: str, sitting_id: str, students: list[str]) -> list[float]:
    database = Database(url)
    times = []
    for student in students:
        began = time.perf_counter()
        with database.session() as session:
            attempts.start_or_resume(session, sitting_id, student, utcnow())
        times.append(time.perf_counter() - began)
    database.dispose()
    return times


def row(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"| {name} | {len(ms)} | {statistics.fmean(ms):.1f} | {statistics.median(ms):.1f} "
            f"| {p95:.1f} | {sum(ms) / 1000:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--parametrised", type=int, default=3)
    parser.add_argument("--plain", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ardoise-variants-"))
    name = "ardoise_bench_variants"
    url = recreate_pg_database(PG_ADMIN, name) if args.db == "postgresql" else \
        f"sqlite:///{scratch / 'ardoise.db'}"
    try:
        migrate.upgrade(url)
        first, second = build(url, args.students, args.parametrised, args.plain)
        baseline = start_all(url, first[0], first[1:])
        database = Database(url)
        began = time.perf_counter()
        with database.session() as session:
            report = preparation.prepare_sitting(session, second[0])
        prepare_seconds = time.perf_counter() - began
        database.dispose()
        prepared = start_all(url, second[0], second[1:])
    finally:
        if args.db == "postgresql":
            drop_pg_database(PG_ADMIN, name)
    print(f"`python bench/variant_starts.py {shlex.join(sys.argv[1:])}` — {args.db}, "
          f"{args.parametrised} parametrised + {args.plain} plain items, "
          f"{args.students} students per sitting\n")
    print("| starts | n | mean ms | median ms | p95 ms | total s |")
    print("|---|---|---|---|---|---|")
    print(row("not prepared (baseline)", baseline))
    print(row("prepared ahead", prepared))
    print(f"\nPreparation ahead of the start: {prepare_seconds:.2f} s for "
          f"{report.candidates} students, {report.variants} variants "
          f"({report.failed} failed).")


if __name__ == "__main__":
    main()
