"""CSV export of item metadata."""

from __future__ import annotations

import csv
import io

from item_bank.interop.csv_export import items_to_csv
from item_bank.interop.detect import parse
from tests.interop.conftest import sample


def test_one_row_per_item_with_tags_and_no_formula() -> None:
    gift = "::=SUM(A1)::Vrai?{T}\n\n::Deux::Combien?{#2}\n"
    items = parse(sample("moodle_all_types.xml"), "m.xml").items + \
        parse(gift.encode(), "g.gift").items
    rows = list(csv.reader(io.StringIO(items_to_csv(items))))
    assert rows[0] == ["source_id", "item_type", "title", "language", "points", "tags"]
    assert rows[1] == ["MATH-FR-001", "single_choice", "Fraction équivalente", "fr", "2.0",
                       "Mathématiques; Fractions; équivalence"]
    assert len(rows) == len(items) + 1
    assert rows[-2][0] == "'=SUM(A1)"  # never a formula in a spreadsheet
