"""Item import: the rate of a generated 5,000-item QTI 3.0 package, CLI and import page.

    python bench/item_import.py --items 5000 --db sqlite postgresql

In one invocation, on this machine:

1. A QTI 3.0 IMS content package of ``--items`` items is generated from the scoring
   bench's seeded exam maker (``bench/item_scoring_data.py``: every objective type in a
   ministry-style mix, bilingual, so two QTI documents per item) and written with the
   product's own exporter (``item_bank.interop.qti3.export_package``), as
   ``ardoise items export --format qti3`` writes it.
2. **Reading only** (no database): ``item_bank.interop.detect.parse`` with the HTML
   sanitiser, as both import paths call it. Best of ``--repeat``.
3. For each database of ``--db``, each on a fresh migrated database of its own:
   - **baseline, the command line**: ``ardoise items import FILE --org NAME``, invoked
     in this process through its click command (so Python's start-up is not counted);
   - **the import page's task**: ``ardoise.import_items``'s body
     (``item_bank.bulk_import.run_import``) on an ``item_imports`` row, the upload in a
     data dir, progress written every 25 items, the row finished in the items'
     transaction.
   Both import every item as a new item (all or nothing, one transaction); the number of
   items stored afterwards is checked. Items per second = items / wall time of the path,
   reading included. Each path runs ``--rounds`` times per database, the two paths in
   alternating order.

Before each timed run the bench waits (up to ``--quiet-wait`` s) for other work on the
machine to fall under 25 % of a core and reports what it saw. Prints Markdown tables and
writes ``--json`` if asked.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ardoise import migrate  # noqa: E402
from ardoise.cli.commands import cli  # noqa: E402
from ardoise.db import Database  # noqa: E402
from bench.exam_load_data import drop_pg_database, recreate_pg_database  # noqa: E402
from bench.item_scoring import machine_busy, wait_for_quiet  # noqa: E402
from bench.item_scoring_data import make_exam  # noqa: E402
from item_bank.bulk_import import run_import  # noqa: E402
from item_bank.interop.detect import parse  # noqa: E402
from item_bank.interop.model import ParsedItem  # noqa: E402
from item_bank.interop.qti3 import export_package  # noqa: E402
from item_bank.models import Item, ItemImport  # noqa: E402
from item_bank.registry import default_registry  # noqa: E402
from item_bank.rich_text import sanitise_html  # noqa: E402
from student_records import service as records  # noqa: E402
from student_records.models import Organisation, OrgKind, Role  # noqa: E402

PG_DATABASE = "ardoise_bench_import"  # recreated for each run, dropped after it
ORG = "École du banc d'essai"


def package(items: int, seed: int) -> bytes:
    """A QTI 3.0 package of ``items`` distinct items, written by the product's exporter."""
    exam = make_exam(default_registry(), seed, items)
    parsed = [ParsedItem(source_id=f"bench-{n:05d}", item_type=item.item_type,
                         title=f"Question {n + 1}", content=item.content,
                         tags=("banc-essai", item.item_type))
              for n, item in enumerate(exam)]
    return export_package(parsed)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Any) -> tuple[float, float, float, Any]:
    """(wall s, this process's CPU s, other work on the machine in % of a core, result)."""
    busy0, cpu0, wall0 = machine_busy(), cpu_seconds(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds() - cpu0
    others = max(0.0, 100 * ((machine_busy() - busy0) - cpu) / wall)
    return wall, cpu, round(others), result


def reading(data: bytes, repeat: int, quiet_s: float) -> dict[str, Any]:
    best: tuple[float, float, float] | None = None
    count = 0
    before = wait_for_quiet(quiet_s)
    for _ in range(repeat):
        wall, cpu, others, result = timed(
            lambda: parse(data, "banc.zip", False, sanitise=sanitise_html))
        count = len(result.items)
        if best is None or wall < best[0]:
            best = (wall, cpu, others)
    assert best is not None
    return {"path": "reading only", "items": count, "seconds": round(best[0], 2),
            "items_per_s": round(count / best[0]), "cpu_seconds": round(best[1], 2),
            "other_before_pct": before, "other_during_pct": best[2]}


def fresh_database(kind: str, workdir: Path, pg_admin: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'ardoise.db'}"
    else:
        url = recreate_pg_database(pg_admin, PG_DATABASE)
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        board = records.create_organisation(session, "Centre du banc d'essai", OrgKind.BOARD)
        school = records.create_organisation(session, ORG, OrgKind.SCHOOL, board)
        teacher = records.create_person(session, "banc-enseignant", password="banc-essai-2026",
                                        given_name="Banc", family_name="Essai")
        records.assign_role(session, teacher, Role.TEACHER, school)
    database.dispose()
    return url


def stored_items(url: str) -> int:
    database = Database(url)
    try:
        with database.session() as session:
            return session.scalar(select(func.count()).select_from(Item)) or 0
    finally:
        database.dispose()


def through_cli(url: str, data: bytes, workdir: Path) -> int:
    upload = workdir / "banc.zip"
    upload.write_bytes(data)
    env = {"ARDOISE_DATABASE_URL": url, "ARDOISE_DATA_DIR": str(workdir)}
    answer = CliRunner().invoke(cli, ["--data-dir", str(workdir), "items", "import",
                                      str(upload), "--org", ORG, "--author",
                                      "banc-enseignant"], env=env, catch_exceptions=False)
    if answer.exit_code != 0:
        raise SystemExit(f"the CLI import failed: {answer.output}")
    return int(json.loads(answer.output.strip().splitlines()[-1])["imported"])


def through_task(url: str, data: bytes, workdir: Path) -> int:
    database = Database(url)
    try:
        with database.session() as session:
            org_id = session.execute(
                select(Organisation.id).where(Organisation.name == ORG)).scalar_one()
            teacher = records.person_by_username(session, "banc-enseignant")
            job = ItemImport(organisation_id=org_id, created_by=teacher.id,
                             filename="banc.zip")
            session.add(job)
            session.flush()
            import_id = job.id
        upload = workdir / "imports" / import_id
        upload.parent.mkdir(parents=True, exist_ok=True)
        upload.write_bytes(data)
        run_import(database, import_id, upload)
        with database.session() as session:
            done = session.get(ItemImport, import_id)
            assert done is not None
            if done.status != "done":
                raise SystemExit(f"the task's import failed: {done.error}")
            return done.done
    finally:
        database.dispose()


def database_run(kind: str, path: str, data: bytes, pg_admin: str,
                 quiet_s: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="ardoise-import-"))
    try:
        url = fresh_database(kind, workdir, pg_admin)
        before = wait_for_quiet(quiet_s)
        run = through_cli if path == "command line" else through_task
        wall, cpu, others, imported = timed(lambda: run(url, data, workdir))
        stored = stored_items(url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if kind == "postgresql":
            drop_pg_database(pg_admin, PG_DATABASE)
    return {"database": kind, "path": path, "items": imported, "stored": stored,
            "seconds": round(wall, 2), "items_per_s": round(imported / wall),
            "cpu_seconds": round(cpu, 2), "other_before_pct": before,
            "other_during_pct": others}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="best of, for reading only")
    parser.add_argument("--rounds", type=int, default=2,
                        help="import runs per path and database, in alternating order")
    parser.add_argument("--db", nargs="*", default=["sqlite"], choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="wait up to this many seconds for a quiet machine before each run")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    started = time.perf_counter()
    data = package(args.items, args.seed)
    print(f"package: {args.items} items, {len(data) / 1e6:.2f} MB zipped, "
          f"written in {time.perf_counter() - started:.1f} s", flush=True)
    read = reading(data, args.repeat, args.quiet_wait)
    runs = []
    for kind in args.db:
        for n in range(args.rounds):  # alternate the order: the second run is not favoured
            order = ("command line", "import page task")
            for path in order if n % 2 == 0 else order[::-1]:
                runs.append({**database_run(kind, path, data, args.pg_admin,
                                            args.quiet_wait), "round": n + 1})
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    print(f"\n```\n{command}\n```\n")
    print("| path | database | round | items imported (stored) | wall s | items/s | CPU s "
          "(this process) | other work before / during, % of a core |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    print(f"| reading only (best of {args.repeat}) | – | – | {read['items']:,} | "
          f"{read['seconds']} | "
          f"{read['items_per_s']:,} | {read['cpu_seconds']} | {read['other_before_pct']} / "
          f"{read['other_during_pct']} |")
    for r in runs:
        print(f"| {r['path']} | {r['database']} | {r['round']} | {r['items']:,} "
              f"({r['stored']:,}) | {r['seconds']} | {r['items_per_s']:,} | {r['cpu_seconds']} | "
              f"{r['other_before_pct']} / {r['other_during_pct']} |")
    for r in runs:
        if r["stored"] != args.items:
            raise SystemExit(f"{r['database']} {r['path']}: {r['stored']} items stored, "
                             f"not {args.items}")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "items": args.items,
                                         "package_bytes": len(data), "reading": read,
                                         "runs": runs, "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
