"""Turning authoring forms into item content, and back into form values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict

from item_bank.types.file_upload import SERVER_MAX_BYTES
from item_bank.types.hot_text import segments

# Server-side forms without scripts: a fixed number of rows, empty rows are left out.
OPTION_ROWS = 6
GAP_ROWS = 4
GAP_OPTION_ROWS = 4
PREMISE_ROWS = 5
RESPONSE_ROWS = 6
ORDER_ROWS = 6

# The types this form can author, in the order the chooser offers them. A type that a
# plugin registers without a form here (the coding lab's ``code``, say) is not offered:
# its authors need its own page, and a form made of these fields would only fail.
AUTHORED_TYPES = (
    "single_choice", "multiple_response", "true_false", "numeric", "short_text",
    "inline_choice", "matching", "ordering", "hot_text", "extended_text", "file_upload",
)

ROWS = {"option_rows": OPTION_ROWS, "gap_rows": GAP_ROWS, "gap_option_rows": GAP_OPTION_ROWS,
        "premise_rows": PREMISE_ROWS, "response_rows": RESPONSE_ROWS,
        "order_rows": ORDER_ROWS}


# Names of the fields of the item types made of several parts, for "item_invalid" messages
# (web.messages names the fields common to every form).
PART_FIELD_NAMES = {
    "text": lazy_gettext("text with blanks"),
    "gaps": lazy_gettext("blanks and their choices"),
    "premises": lazy_gettext("premises"),
    "responses": lazy_gettext("responses"),
    "pairs": lazy_gettext("matching responses"),
    "scoring": lazy_gettext("scoring"),
    "passage": lazy_gettext("passage"),
    "max_selections": lazy_gettext("most selections"),
    "max_length": lazy_gettext("longest answer"),
    "expected_words": lazy_gettext("expected length"),
    "rubric": lazy_gettext("marking guide"),
    "kinds": lazy_gettext("accepted kinds of file"),
    "max_bytes": lazy_gettext("largest file"),
    # "items" names an exam's questions elsewhere.
    "ordering.items": lazy_gettext("items to put in order"),
}


def part_field_name(item_type: str, field: str) -> str | None:
    """The translated name of an item type's own field, or ``None`` for a common field."""
    name = PART_FIELD_NAMES.get(f"{item_type}.{field}") or PART_FIELD_NAMES.get(field)
    return None if name is None else str(name)


def gap_id(row: int) -> str:
    """The id of the gap written ``{{gap1}}`` in the text, for form row ``row``."""
    return f"gap{row + 1}"


def premise_id(row: int) -> str:
    return f"p{row + 1}"


def response_id(row: int) -> str:
    return f"r{row + 1}"


def letter(row: int) -> str:
    return chr(ord("a") + row)


def _stem(form: MultiDict[str, str], prefix: str) -> dict[str, str]:
    return {lang: form.get(f"{prefix}_{lang}", "") for lang in ("fr", "en")
            if form.get(f"{prefix}_{lang}", "").strip()}


def _number(text: str, default: float | None = None) -> Any:
    text = text.strip().replace(",", ".")
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        return text  # the item type rejects it with a clear message


def _integer(text: str) -> Any:
    """A whole number as typed ("10 000" in French is fine), ``None`` when left empty."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text)
    if not text:
        return None
    return int(text) if text.isdigit() else text  # the item type names the field


def _labelled_rows(form: MultiDict[str, str], prefix: str, rows: int,
                   ids: Callable[[int], str] | None = None) -> list[dict[str, Any]]:
    entries = []
    for row in range(rows):
        text = _stem(form, f"{prefix}{row}")
        if text:
            entries.append({"id": ids(row), "text": text} if ids else {"text": text})
    return entries


def content_from_form(item_type: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """Build the content an item type validates from the submitted authoring form."""
    content: dict[str, Any] = {"stem": _stem(form, "stem"),
                               "points": _number(form.get("points", ""), 1.0)}
    if item_type in ("single_choice", "multiple_response"):
        content["options"] = _labelled_rows(form, "option", OPTION_ROWS, letter)
        content["shuffle"] = form.get("shuffle") == "on"
        if item_type == "single_choice":
            content["correct"] = form.get("correct", "")
        else:
            content["correct"] = form.getlist("correct")
    elif item_type == "true_false":
        content["correct"] = {"true": True, "false": False}.get(form.get("correct", ""))
    elif item_type == "numeric":
        content["answer"] = _number(form.get("answer", ""))
        content["tolerance"] = _number(form.get("tolerance", ""), 0.0)
        content["tolerance_mode"] = form.get("tolerance_mode", "absolute")
        if form.get("unit", "").strip():
            content["unit"] = form.get("unit", "").strip()
    elif item_type == "short_text":
        content["answers"] = [a for a in form.get("answers", "").splitlines() if a.strip()] + \
            [{"pattern": p} for p in form.get("patterns", "").splitlines() if p.strip()]
        content["case_sensitive"] = form.get("case_sensitive") == "on"
        content["ignore_accents"] = form.get("ignore_accents") == "on"
    elif item_type == "inline_choice":
        _inline_choice(form, content)
    elif item_type == "matching":
        content["premises"] = _labelled_rows(form, "premise", PREMISE_ROWS, premise_id)
        content["responses"] = _labelled_rows(form, "response", RESPONSE_ROWS, response_id)
        content["pairs"] = {premise_id(row): form.get(f"premise{row}_match", "")
                            for row in range(PREMISE_ROWS) if _stem(form, f"premise{row}")}
    elif item_type == "ordering":
        # No ids: the type derives them from the text, so that they do not tell the order.
        content["items"] = _labelled_rows(form, "step", ORDER_ROWS)
        content["scoring"] = form.get("scoring", "subsequence")
    elif item_type == "hot_text":
        content["passage"] = _stem(form, "passage")
        content["correct"] = chosen_spans(form)
        limit = _integer(form.get("max_selections", ""))
        if limit is not None:
            content["max_selections"] = limit
    elif item_type == "extended_text":
        for name in ("max_length", "expected_words"):
            value = _integer(form.get(name, ""))
            if value is not None:
                content[name] = value
        rubric = _stem(form, "rubric")
        if rubric:
            content["rubric"] = rubric
    elif item_type == "file_upload":
        _file_upload(form, content)
    # A parametrised item: its variants come from this generator (item_bank.variants).
    if form.get("generator", "").strip():
        content["generator"] = form.get("generator", "")
    return content


def _file_upload(form: MultiDict[str, str], content: dict[str, Any]) -> None:
    content["kinds"] = form.getlist("kinds")
    size = _number(form.get("max_mb", ""))
    # Megabytes as typed ("2,5" is fine); whatever is not a number is refused by the type.
    content["max_bytes"] = round(size * 1024 * 1024) if isinstance(size, float) and \
        0 < size < 1e6 else size
    rubric = _stem(form, "rubric")
    if rubric:
        content["rubric"] = rubric


def chosen_spans(form: MultiDict[str, str]) -> list[str]:
    """The hot-text spans marked correct: ticked boxes, or names typed in one field."""
    return [name for value in form.getlist("correct")
            for name in re.split(r"[\s,;]+", value) if name]


def passage_spans(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The selectable spans ``(id, words)`` of the typed passage, French first."""
    for lang in ("fr", "en"):
        found = [(s["id"], s["text"]) for s in segments(form.get(f"passage_{lang}", ""))
                 if "id" in s]
        if found:
            return list(dict(found).items())  # a repeated id once; the type refuses it
    return []


def form_extras(item_type: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """What a type's fields need beyond the typed values to draw themselves again."""
    if item_type == "file_upload":
        return {"server_max_mb": SERVER_MAX_BYTES // (1024 * 1024)}
    if item_type == "hot_text":
        spans, chosen = passage_spans(form), set(chosen_spans(form))
        # Boxes to tick once the passage has spans, unless that would drop a typed name.
        if not chosen <= {name for name, _words in spans}:
            spans = []
        return {"spans": spans, "chosen": chosen}
    return {}


def _inline_choice(form: MultiDict[str, str], content: dict[str, Any]) -> None:
    if not content["stem"]:
        del content["stem"]  # optional for this type: the text with its gaps is the question
    content["text"] = _stem(form, "text")
    content["shuffle"] = form.get("shuffle") == "on"
    gaps = []
    for row in range(GAP_ROWS):
        options = _labelled_rows(form, f"gap{row}_option", GAP_OPTION_ROWS, letter)
        if options:
            gaps.append({"id": gap_id(row), "options": options,
                         "correct": form.get(f"gap{row}_correct", "")})
    content["gaps"] = gaps


def metadata_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The item's description from the form, for :func:`item_bank.workflow.set_metadata`
    (which names a wrong field); fields left out of the form are left as they are."""
    values: dict[str, Any] = {name: form[name] for name in
                              ("subject", "level", "competency", "licence") if name in form}
    if "difficulty" in form:
        difficulty = form.get("difficulty", "").strip()
        values["difficulty"] = (int(difficulty) if difficulty.isdigit() else difficulty) \
            if difficulty else None
    if "tags" in form:
        values["tags"] = [t for t in form.get("tags", "").replace(";", ",").split(",")
                          if t.strip()]
    return values
