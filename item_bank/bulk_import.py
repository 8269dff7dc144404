"""A file imported from the bulk import page: read it, import it whole, report as it goes.

The import of the items themselves is one transaction (all or nothing, see
:mod:`item_bank.importing`). Its progress cannot be written to the ``item_imports`` row
while that transaction runs (SQLite has one writer at a time, and that writer is the
import itself), so it goes to a small file beside the upload, ``<upload>.progress``,
holding ``{"done": N, "total": M}``; the row gets its final ``done``, ``result`` or
``error`` when the import ends, in the same transaction as the items.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import DomainError
from item_bank import importing
from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedTest
from item_bank.models import ItemImport
from item_bank.rich_text import sanitise_html

#: Write the progress file at most this often (in items) on big imports.
PROGRESS_EVERY = 25


def progress_path(upload: Path) -> Path:
    return upload.with_name(upload.name + ".progress")


def read_progress(upload: Path) -> dict[str, int] | None:
    """The running import's ``{"done", "total"}``, or ``None`` if it has not written any."""
    try:
        data = json.loads(progress_path(upload).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {"done": int(data.get("done", 0)), "total": int(data.get("total", 0))}


def _write_progress(upload: Path, done: int, total: int) -> None:
    target = progress_path(upload)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps({"done": done, "total": total}), encoding="utf-8")
    os.replace(temporary, target)  # a reader never sees half a file


def error_of(error: DomainError) -> dict[str, Any]:
    """How an import error is kept on its row: the stable code, its parameters, the detail."""
    return {"code": error.code, "params": {k: str(v) for k, v in error.params.items()},
            "detail": error.detail}


#: What else a file brings once its items are in: ``(session, organisation id, the file's
#: tests, item id by source id, author id)`` → JSON-ready records. The exam engine passes
#: one that makes exams of a package's tests (the item bank cannot import it).
TestsHook = Callable[[Session, str, Sequence[ParsedTest], Mapping[str, str], str | None],
                     list[dict[str, Any]]]


def run_import(database: Database, import_id: str, upload: Path, language: str = "fr",
               tests_hook: TestsHook | None = None) -> None:
    """Import the file of a queued :class:`ItemImport` and record how it went.

    Safe to deliver twice: an import that already ended is left alone, and one that was
    cut off while running wrote nothing (its transaction never committed), so it simply
    runs again. The uploaded file and its progress file are removed when the import ends.
    """
    with database.session() as session:
        job = session.get(ItemImport, import_id)
        if job is None or job.status in ("done", "failed"):
            return
        job.status = "running"
        organisation_id, bank_id, author_id = job.organisation_id, job.bank_id, job.created_by
        filename, dry_run, skip = job.filename, job.dry_run, job.skip_unsupported
    try:
        try:
            parsed = parse(upload.read_bytes(), filename, skip, language=language,
                           sanitise=sanitise_html)
        except OSError:
            _fail(database, import_id, {"code": "import_file_missing", "params": {},
                                        "detail": filename})
            return
        except DomainError as error:
            _fail(database, import_id, error_of(error))
            return
        total = len(parsed.items)
        with database.session() as session:
            job = session.get(ItemImport, import_id)
            assert job is not None
            job.total = total
        _write_progress(upload, 0, total)

        def progress(done: int) -> None:
            if done == total or done % PROGRESS_EVERY == 0:
                _write_progress(upload, done, total)

        try:
            with database.session() as session:
                done = importing.import_items(session, organisation_id, bank_id, parsed.items,
                                              author_id, dry_run=dry_run, progress=progress,
                                              filename=filename)
                exams = [] if dry_run or tests_hook is None else tests_hook(
                    session, organisation_id, parsed.tests,
                    {p.source_id: d.item_id for p, d in zip(parsed.items, done, strict=True)},
                    author_id)
                job = session.get(ItemImport, import_id)
                assert job is not None
                job.status, job.done, job.finished_at = "done", len(done), utcnow()
                job.result = {
                    "imported": len(done), "dry_run": dry_run,
                    "items": [{"id": d.item_id, "type": d.item_type, "title": d.title,
                               "version": d.version, "new": d.created} for d in done],
                    "skipped": [{"source_id": s.source_id, "title": s.title,
                                 "reason": s.reason_code, "detail": s.detail,
                                 "problem": s.problem, "values": s.values}
                                for s in parsed.skipped],
                    "exams": exams,
                }
        except DomainError as error:
            _fail(database, import_id, error_of(error))
    except Exception:  # a fault of ours: the page must not wait for ever
        _fail(database, import_id, {"code": "server_error", "params": {}, "detail": ""})
        raise
    finally:
        for path in (upload, progress_path(upload)):
            path.unlink(missing_ok=True)


def _fail(database: Database, import_id: str, error: dict[str, Any]) -> None:
    with database.session() as session:
        job = session.get(ItemImport, import_id)
        if job is not None:
            job.status, job.error, job.finished_at = "failed", error, utcnow()
