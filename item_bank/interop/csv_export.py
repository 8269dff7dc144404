"""CSV of item metadata (one row an item) for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from item_bank.interop.model import ParsedItem

COLUMNS = ("source_id", "item_type", "title", "language", "points", "tags")
# A cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def items_to_csv(items: Iterable[ParsedItem]) -> str:
    """UTF-8 text with a header row; tags are joined with ``"; "``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow([cell(v) for v in (
            item.source_id, item.item_type, item.title, item.language,
            item.content.get("points", ""), "; ".join(item.tags))])
    return out.getvalue()
