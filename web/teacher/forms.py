"""Turning authoring forms into item content, and back into form values."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

OPTION_ROWS = 6


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


def content_from_form(item_type: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """Build the content an item type validates from the submitted authoring form."""
    content: dict[str, Any] = {"stem": _stem(form, "stem"),
                               "points": _number(form.get("points", ""), 1.0)}
    if item_type in ("single_choice", "multiple_response"):
        options = []
        for index in range(OPTION_ROWS):
            text = _stem(form, f"option{index}")
            if text:
                options.append({"id": chr(ord("a") + index), "text": text})
        content["options"] = options
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
        content["answers"] = [a for a in form.get("answers", "").splitlines() if a.strip()]
        content["case_sensitive"] = form.get("case_sensitive") == "on"
        content["ignore_accents"] = form.get("ignore_accents") == "on"
    return content
