"""The bulk import page: upload a file of items, follow the import, read what it did.

The upload is kept at ``<data dir>/imports/<import id>`` until the import task ends; the
task (``ardoise.import_items``) runs on a worker, or in this process when no broker is
configured. In this process on PostgreSQL, it runs in a background thread, so that the
page follows its progress as it would a worker's. In this process on SQLite, it runs
within the upload's request: SQLite has one writer, every unit of work takes the write
lock first, and the import holds it until its items are written, so a page asked for
meanwhile would only wait for it (and fail after the busy timeout on a big file).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.celery_app import celery
from ardoise.clock import iso
from ardoise.errors import DomainError, Invalid
from ardoise.worker.tasks import import_items
from item_bank import banks as item_banks
from item_bank.bulk_import import read_progress
from item_bank.models import ItemBank, ItemImport
from student_records import service as records
from student_records.models import Organisation, Role
from web.access import AUTHORING, role_required, staff_orgs
from web.context import config, unit_of_work
from web.import_messages import problem_text
from web.messages import MESSAGES, field_label, message_for
from web.teacher.views import bp, type_label

RECENT = 10


def upload_path(import_id: str) -> Path:
    return Path(config().data_dir) / "imports" / import_id


def _schools(db: Session) -> list[Organisation]:
    ids = staff_orgs(db, g.user, AUTHORING)
    return sorted((o for o in (db.get(Organisation, i) for i in ids) if o is not None),
                  key=lambda o: o.name.casefold())


def _target_banks(db: Session) -> list[ItemBank]:
    """Banks the caller may put items into."""
    scope = staff_orgs(db, g.user, AUTHORING)
    return [b for b in item_banks.visible_banks(db, g.user.id, scope)
            if item_banks.can_author(db, b, g.user.id, scope)]


def _import_or_404(db: Session, import_id: str) -> ItemImport:
    """Its author's, or an admin's of its organisation; nobody else learns it exists."""
    job = db.get(ItemImport, import_id)
    if job is None or (job.created_by != g.user.id
                       and job.organisation_id not in records.admin_scope(db, g.user)):
        abort(404)
    return job


def _form_page(status: int) -> ResponseReturnValue:
    with unit_of_work() as db:
        recent = list(db.scalars(select(ItemImport).where(ItemImport.created_by == g.user.id)
                                 .order_by(ItemImport.created_at.desc()).limit(RECENT)))
        return render_template("teacher/import_form.html", schools=_schools(db),
                               banks=_target_banks(db), form=request.form, recent=recent,
                               max_mb=(current_app.config["MAX_CONTENT_LENGTH"] or 0)
                               // (1024 * 1024)), status


@bp.get("/imports/new")
@role_required(Role.TEACHER)
def import_new() -> ResponseReturnValue:
    return _form_page(200)


@bp.post("/imports")
@role_required(Role.TEACHER)
def import_create() -> ResponseReturnValue:
    """Keep the file, record the import as queued, and hand it to the import task."""
    form = request.form
    upload = request.files.get("file")
    try:
        data = upload.read() if upload is not None else b""
        if not data:
            raise Invalid("import_file_missing")
        language = form.get("language", "fr")
        if language not in ("fr", "en"):
            raise Invalid("import_invalid_form", field="language")
        with unit_of_work() as db:
            bank_id = form.get("bank_id") or None
            if bank_id is not None:
                if bank_id not in {b.id for b in _target_banks(db)}:
                    raise Invalid("bank_forbidden")
                bank = item_banks.get_bank(db, bank_id)
                organisation_id = bank.organisation_id
            else:
                organisation_id = form.get("organisation_id", "")
                if organisation_id not in {o.id for o in _schools(db)}:
                    raise Invalid("import_invalid_form", field="organisation")
            filename = Path(upload.filename or "upload").name[:255] if upload else "upload"
            job = ItemImport(organisation_id=organisation_id, bank_id=bank_id,
                             created_by=g.user.id, filename=filename or "upload",
                             dry_run=form.get("dry_run") == "on",
                             skip_unsupported=form.get("skip_unsupported") == "on")
            db.add(job)
            db.flush()
            import_id = job.id
            path = upload_path(import_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            records.audit(db, g.user, "import_items", "item_import", import_id,
                          organisation_id)
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        return _form_page(422)
    _dispatch(import_id, str(path), language)
    return redirect(url_for("teacher.import_show", import_id=import_id))


def _dispatch(import_id: str, path: str, language: str) -> None:
    if not celery.conf.task_always_eager:
        import_items.delay(import_id, path, language)
    elif config().is_sqlite:  # see the module's docstring
        import_items.apply((import_id, path, language))
    else:  # no broker: this process is the worker
        threading.Thread(target=import_items.apply, args=((import_id, path, language),),
                         name=f"import-{import_id}", daemon=True).start()


def progress_view(job: ItemImport) -> dict[str, Any]:
    """The JSON the page polls: ``{id, status, total, done, finished_at}``."""
    done, total = job.done, job.total
    if job.status == "running":
        live = read_progress(upload_path(job.id))
        if live is not None:
            done, total = live["done"], live["total"]
    return {"id": job.id, "status": job.status, "total": total, "done": done,
            "finished_at": iso(job.finished_at) if job.finished_at else None}


@bp.get("/imports/<import_id>")
@role_required(Role.TEACHER)
def import_show(import_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        job = _import_or_404(db, import_id)
        bank = db.get(ItemBank, job.bank_id) if job.bank_id else None
        error = job.error or {}
        params = error.get("params") or {}
        return render_template(
            "teacher/import.html", job=job, bank=bank, progress=progress_view(job),
            type_label=type_label, result=job.result or {},
            error_message=(message_for(error["code"], params) if error.get("code") in MESSAGES
                           else _("This file cannot be imported as it is.")) if error else "",
            error_params=params, reason_message=_reason_message,
            problem_message=_problem_message,
            error_detail=error.get("detail", ""))


def _reason_message(code: str) -> str:
    """A reason code in words when the catalogue has it, the code itself otherwise."""
    text = message_for(code, {})
    return code if text == message_for("", {}) else text


def _problem_message(skipped: dict[str, Any]) -> str:
    """Why a question was skipped, translated when its problem code is known."""
    words = problem_text(str(skipped.get("problem") or ""), dict(skipped.get("values") or {}),
                         field_label)
    return words or str(skipped.get("detail") or "")


@bp.get("/imports/<import_id>/progress")
@role_required(Role.TEACHER)
def import_progress(import_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        return jsonify(progress_view(_import_or_404(db, import_id)))


def status_label(status: str) -> str:
    return {"queued": _("Waiting to start"), "running": _("Importing"),
            "done": _("Finished"), "failed": _("Failed")}.get(status, status)


@bp.context_processor
def _import_helpers() -> dict[str, Any]:
    return {"import_status_label": status_label}
