"""``ardoise items``: import a file of items into a bank, list items, export them."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.cli.options import config_of, data_dir_option
from ardoise.db import Database
from ardoise.errors import DomainError, NotFound
from exam_engine import exam_interop
from exam_engine.models import Exam
from item_bank import banks, importing
from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedItem
from item_bank.interop.qti3 import export_package
from item_bank.models import Item, ItemBank
from item_bank.rich_text import sanitise_html
from item_bank.service import latest_version
from item_bank.variants import is_parametrised
from student_records.models import Organisation, Person


def organisation_named(session: Session, name: str) -> Organisation:
    org = session.get(Organisation, name) or session.scalar(
        select(Organisation).where(Organisation.name == name))
    if org is None:
        raise click.UsageError(f"no organisation named {name!r}")
    return org


def person_id_named(session: Session, username: str | None) -> str | None:
    if username is None:
        return None
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        raise click.UsageError(f"no person named {username!r}")
    return person.id


@click.group("items")
def items_group() -> None:
    """The item bank: import, list and export items."""


@items_group.command("import")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--org", "org_name", required=True, help="The school or board that owns the items.")
@click.option("--bank", "bank_name", help="The bank to put them in (made, open, if absent).")
@click.option("--author", help="Username recorded as the items' author.")
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr",
              help="Language of texts whose file does not say (Moodle XML, GIFT).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--skip-unsupported", is_flag=True,
              help="Import what can be and list the rest with why, instead of refusing all.")
@click.pass_context
def items_import(ctx: click.Context, file: Path, org_name: str, bank_name: str | None,
                 author: str | None, language: str, dry_run: bool,
                 skip_unsupported: bool) -> None:
    """Import FILE (QTI 3.0 or 2.x package or item, Moodle XML, GIFT: told by its content)
    whole or not at all; an item imported before (same source identifier) gets a new
    version. Prints one JSON object: {"imported", "items", "skipped"}."""
    database = Database(config_of(ctx).effective_database_url)
    try:
        parsed = parse(file.read_bytes(), file.name, skip_unsupported, language=language,
                       sanitise=sanitise_html)
        with database.session() as session:
            org = organisation_named(session, org_name)
            author_id = person_id_named(session, author)
            bank_id = None
            if bank_name:
                try:
                    bank_id = banks.bank_by_name(session, org.id, bank_name).id
                except NotFound:
                    bank_id = banks.create_bank(session, org.id, bank_name, False, author_id).id
            done = importing.import_items(session, org.id, bank_id, parsed.items, author_id,
                                          filename=file.name,
                                          dry_run=dry_run)
            # A package's tests become exams of the items they name (not on a dry run).
            made = [] if dry_run else exam_interop.exams_from_tests(
                session, org.id, parsed.tests,
                {p.source_id: d.item_id for p, d in zip(parsed.items, done, strict=True)},
                author_id)
            if dry_run:
                session.rollback()
    except DomainError as error:
        click.echo(f"ardoise items import: {error.detail or error.code} {error.params}",
                   err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(json.dumps({
        "imported": len(done),
        "items": [{"id": d.item_id, "type": d.item_type, "title": d.title,
                   "version": d.version, "new": d.created} for d in done],
        "skipped": [{"source_id": s.source_id, "title": s.title, "reason": s.reason_code,
                     "problem": s.problem, "detail": s.detail} for s in parsed.skipped],
        "dry_run": dry_run,
        "exams": made,
    }, ensure_ascii=False))


@items_group.command("list")
@data_dir_option
@click.option("--org", "org_name", help="Only this organisation's items.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list for machines.")
@click.pass_context
def items_list(ctx: click.Context, org_name: str | None, as_json: bool) -> None:
    """Every item (of one organisation): id, type, title and latest version."""
    database = Database(config_of(ctx).effective_database_url)
    try:
        with database.session() as session:
            query = select(Item).order_by(Item.created_at, Item.id)
            if org_name:
                query = query.where(
                    Item.organisation_id == organisation_named(session, org_name).id)
            rows: list[dict[str, Any]] = [
                {"id": i.id, "type": i.item_type, "title": i.title, "version": i.latest_version}
                for i in session.scalars(query)]
    finally:
        database.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['type']:<18} v{row['version']:<3} {row['title']}")


CSV_COLUMNS = ["id", "type", "title", "version", "status", "bank", "subject", "level",
               "competency", "difficulty", "licence", "tags", "source_id", "created_at"]


@items_group.command("export")
@data_dir_option
@click.option("--format", "fmt", type=click.Choice(["qti3", "csv"]), required=True)
@click.option("--org", "org_name", help="Only this organisation's items.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def items_export(ctx: click.Context, fmt: str, org_name: str | None, out: Path) -> None:
    """Write the latest version of every item (of one organisation) to OUT: a QTI 3.0 IMS
    content package, or a CSV of their metadata. Importing the package again makes new
    versions of the same items."""
    database = Database(config_of(ctx).effective_database_url)
    try:
        with database.session() as session:
            query = select(Item).order_by(Item.created_at, Item.id)
            exam_query = select(Exam).order_by(Exam.created_at, Exam.id)
            if org_name:
                org_id = organisation_named(session, org_name).id
                query = query.where(Item.organisation_id == org_id)
                exam_query = exam_query.where(Exam.organisation_id == org_id)
            rows = list(session.scalars(query))
            bank_names = {b.id: b.name for b in session.scalars(select(ItemBank))}
            skipped: list[dict[str, str]] = []
            if fmt == "csv":
                out.write_text(_csv(rows, bank_names), encoding="utf-8")
                exported = len(rows)
            else:
                parsed = []
                for i in rows:
                    content = latest_version(session, i.id).content
                    if is_parametrised(content):
                        # QTI's template processing is not Python: a generator does not
                        # travel, and its placeholders alone would be a wrong item.
                        skipped.append({"id": i.id, "title": i.title,
                                        "reason": "parametrised items have no QTI form"})
                        continue
                    parsed.append(ParsedItem(source_id=importing.export_source_id(i),
                                             item_type=i.item_type, title=i.title,
                                             content=content, tags=tuple(i.tags or ())))
                # The exams of these items, as QTI tests naming them.
                exported_ids = {i.id for i in rows if not any(
                    s["id"] == i.id for s in skipped)}
                tests, left_out = exam_interop.tests_for_export(
                    session, session.scalars(exam_query), exported_ids)
                skipped += [{"id": e.exam_id, "title": e.title, "reason": e.reason}
                            for e in left_out]
                out.write_bytes(export_package(parsed, tests))
                exported = len(parsed)
    finally:
        database.dispose()
    click.echo(json.dumps({"exported": exported, "format": fmt, "file": str(out),
                           "tests": len(tests) if fmt == "qti3" else 0,
                           "skipped": skipped}))


def _csv(rows: list[Item], bank_names: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for i in rows:
        writer.writerow([i.id, i.item_type, i.title, i.latest_version, i.status,
                         bank_names.get(i.bank_id or "", ""), i.subject or "", i.level or "",
                         i.competency or "", i.difficulty or "", i.licence or "",
                         ";".join(i.tags or []), i.source_id or "", i.created_at.isoformat()])
    return buffer.getvalue()
