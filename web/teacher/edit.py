"""Editing an item: the authoring form filled from its latest version; saving adds a version.

:func:`form_from_content` is the inverse of :func:`web.teacher.forms.content_from_form`:
the form's rows take the content's choices, gaps, premises and items in order, under the
row ids the form uses (an imported item's ``choice_A`` becomes row ``a``); each version is
scored on its own key, so renaming ids in a new version changes nothing for attempts that
showed an earlier one. Content the form cannot hold (more choices than it has rows, an
item type without a form) is said so, and the item is left as it is.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ardoise.errors import DomainError, NotFound
from item_bank import banks as item_banks
from item_bank import service as items
from item_bank import workflow
from item_bank.models import Item
from item_bank.types.base import Content
from student_records import service as records
from student_records.models import Role
from web.access import AUTHORING, role_required, staff_orgs
from web.context import unit_of_work
from web.teacher.forms import (
    GAP_OPTION_ROWS,
    GAP_ROWS,
    OPTION_ROWS,
    ORDER_ROWS,
    PREMISE_ROWS,
    RESPONSE_ROWS,
    ROWS,
    content_from_form,
    form_extras,
    gap_id,
    letter,
    metadata_from_form,
    response_id,
)
from web.teacher.preview import StudentView, VariantPreview
from web.teacher.views import (
    _invalid_marker,
    _item_error,
    _next_seed,
    _previews,
    authored_types,
    bp,
    type_label,
)


class DoesNotFit(Exception):
    """The content holds more than the authoring form can show."""


def _text(form: MultiDict[str, str], prefix: str, value: Any) -> None:
    if isinstance(value, str):
        value = {"fr": value}
    for lang, text in (value or {}).items():
        form[f"{prefix}_{lang}"] = text


def _rows(form: MultiDict[str, str], prefix: str, entries: list[dict[str, Any]],
          rows: int) -> dict[str, int]:
    """Put entries in rows ``prefix0``…; return each entry id's row."""
    if len(entries) > rows:
        raise DoesNotFit(prefix)
    for row, entry in enumerate(entries):
        _text(form, f"{prefix}{row}", entry.get("text"))
    return {str(entry.get("id")): row for row, entry in enumerate(entries)}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def form_from_content(item_type: str, content: Content) -> MultiDict[str, str]:
    """The authoring form's values for ``content``; :class:`DoesNotFit` if it cannot."""
    form: MultiDict[str, str] = MultiDict()
    _text(form, "stem", content.get("stem"))
    form["points"] = _number(content.get("points", 1))
    if content.get("generator"):
        form["generator"] = str(content["generator"])
    if item_type in ("single_choice", "multiple_response"):
        rows = _rows(form, "option", content.get("options") or [], OPTION_ROWS)
        correct = content.get("correct")
        for option_id in correct if isinstance(correct, list) else [correct]:
            if str(option_id) in rows:
                form.add("correct", letter(rows[str(option_id)]))
        if content.get("shuffle", True):
            form["shuffle"] = "on"
    elif item_type == "true_false":
        form["correct"] = "true" if content.get("correct") else "false"
    elif item_type == "numeric":
        form["answer"] = _number(content.get("answer"))
        form["tolerance"] = _number(content.get("tolerance", 0))
        form["tolerance_mode"] = str(content.get("tolerance_mode", "absolute"))
        if content.get("unit"):
            form["unit"] = str(content["unit"])
    elif item_type == "short_text":
        answers = content.get("answers") or []
        form["answers"] = "\n".join(a for a in answers if isinstance(a, str))
        form["patterns"] = "\n".join(a["pattern"] for a in answers if isinstance(a, dict))
        for flag in ("case_sensitive", "ignore_accents"):
            if content.get(flag):
                form[flag] = "on"
    elif item_type == "inline_choice":
        _inline_choice(form, content)
    elif item_type == "matching":
        premises = _rows(form, "premise", content.get("premises") or [], PREMISE_ROWS)
        responses = _rows(form, "response", content.get("responses") or [], RESPONSE_ROWS)
        for premise, response in (content.get("pairs") or {}).items():
            if premise in premises and response in responses:
                form[f"premise{premises[premise]}_match"] = response_id(responses[response])
    elif item_type == "ordering":
        _rows(form, "step", content.get("items") or [], ORDER_ROWS)
        form["scoring"] = str(content.get("scoring", "subsequence"))
    elif item_type == "hot_text":
        _text(form, "passage", content.get("passage"))
        for name in content.get("correct") or []:
            form.add("correct", str(name))
        if content.get("max_selections") is not None:
            form["max_selections"] = str(content["max_selections"])
    elif item_type in ("extended_text", "file_upload"):
        for name in ("max_length", "expected_words"):
            if content.get(name) is not None:
                form[name] = str(content[name])
        _text(form, "rubric", content.get("rubric"))
        if item_type == "file_upload":
            for kind in content.get("kinds") or []:
                form.add("kinds", str(kind))
            if content.get("max_bytes"):
                form["max_mb"] = _number(round(int(content["max_bytes"]) / 1024 / 1024, 2))
    return form


def _inline_choice(form: MultiDict[str, str], content: Content) -> None:
    gaps = content.get("gaps") or []
    if len(gaps) > GAP_ROWS:
        raise DoesNotFit("gaps")
    text = dict(content.get("text") or {})
    for row, gap in enumerate(gaps):
        options = gap.get("options") or []
        if len(options) > GAP_OPTION_ROWS:
            raise DoesNotFit("gaps")
        rows = _rows(form, f"gap{row}_option", options, GAP_OPTION_ROWS)
        if str(gap.get("correct")) in rows:
            form[f"gap{row}_correct"] = letter(rows[str(gap.get("correct"))])
        # The form names gaps by row: an imported gap's own id is renamed in the text.
        old, new = "{{" + str(gap.get("id")) + "}}", "{{" + gap_id(row) + "}}"
        text = {lang: value.replace(old, new) for lang, value in text.items()}
    _text(form, "text", text)
    if content.get("shuffle", True):
        form["shuffle"] = "on"


def metadata_form(item: Item) -> MultiDict[str, str]:
    form: MultiDict[str, str] = MultiDict()
    for name in ("subject", "level", "competency", "licence"):
        form[name] = getattr(item, name) or ""
    form["difficulty"] = str(item.difficulty or "")
    form["tags"] = ", ".join(item.tags or [])
    return form


def _editable_item(item_id: str) -> Item:
    """The item, if the teacher may author it; 404 for an item they may not even see."""
    with unit_of_work() as db:
        item = items.get_item(db, item_id)
        scope = staff_orgs(db, g.user, AUTHORING)
        try:
            item_banks.require_visible(db, item, g.user.id, scope)
        except NotFound:
            abort(404)
        if item.bank_id is not None and not item_banks.can_author(
                db, item_banks.get_bank(db, item.bank_id), g.user.id, scope):
            abort(403)
        if item.bank_id is None and item.organisation_id not in scope:
            abort(403)
        db.expunge(item)
        return item


@bp.route("/items/<item_id>/edit", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def item_edit(item_id: str) -> ResponseReturnValue:
    item = _editable_item(item_id)
    if item.item_type not in authored_types():
        flash(_("This type of question has no form here: import a new version of it instead."),
              "error")
        return redirect(url_for("teacher.item_show", item_id=item_id))
    previews: list[StudentView] = []
    variant_views: list[VariantPreview] = []
    status = 200
    error_field = None
    form: MultiDict[str, str]
    if request.method == "POST":
        form = request.form
        content = content_from_form(item.item_type, form)
        try:
            if form.get("action") == "preview" or (
                    "variant_start" in form and not form.get("action")):
                previews, variant_views = _previews(item.item_type, content)
            else:
                with unit_of_work() as db:
                    version = items.revise_item(db, item_id, content, author_id=g.user.id,
                                                title=form.get("title", ""))
                    workflow.set_metadata(db, item_id, metadata_from_form(form))
                    records.audit(db, g.user, "revise_item", "item", item_id,
                                  item.organisation_id)
                flash(_("Question saved as version %(number)s.", number=version.number),
                      "success")
                return redirect(url_for("teacher.item_show", item_id=item_id))
        except DomainError as error:
            error_field = _item_error(item.item_type, error)
            status = 422
    else:
        with unit_of_work() as db:
            latest = items.latest_version(db, item_id)
            try:
                form = form_from_content(item.item_type, latest.content)
            except DoesNotFit:
                flash(_("This question holds more than the form can show: import a new "
                        "version of it instead."), "error")
                return redirect(url_for("teacher.item_show", item_id=item_id))
        form.update(metadata_form(item))
        form["title"] = item.title
    return render_template(
        "teacher/item_form.html", item_type=item.item_type, form=form, type_label=type_label,
        schools=[], previews=previews, variant_views=variant_views, next_seed=_next_seed(),
        error_field=error_field, invalid=_invalid_marker(error_field), editing=item,
        **ROWS, **form_extras(item.item_type, form)), status
