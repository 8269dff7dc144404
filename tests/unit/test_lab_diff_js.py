"""The exercise page's line diff (web/static/src/lab_diff.js), run by Node as the browser
runs it: expected output against the program's, in reading order."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

MODULE = Path(__file__).resolve().parents[2] / "web" / "static" / "src" / "lab_diff.js"

SCRIPT = """
import { lineDiff, differs, outputLines } from %s;
const cases = JSON.parse(process.argv[1]);
console.log(JSON.stringify(cases.map(([a, b]) => {
  const rows = lineDiff(a, b);
  return { rows: rows.map((r) => [r.op, r.text]), differs: differs(rows),
           lines: [outputLines(a).length, outputLines(b).length] };
})));
"""


def diff(*cases: tuple[str, str]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js is required (scripts/setup.sh installs it)"
    done = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT % json.dumps(MODULE.as_uri()),
         json.dumps(cases)], capture_output=True, text=True, timeout=60, check=True)
    answer: list[dict[str, Any]] = json.loads(done.stdout)
    return answer


def test_equal_outputs_show_no_difference_and_a_final_newline_adds_no_line() -> None:
    [same, newline] = diff(("1\n2\n", "1\n2\n"), ("6\n", "6"))
    assert same == {"rows": [["same", "1"], ["same", "2"]], "differs": False, "lines": [2, 2]}
    assert newline["rows"] == [["same", "6"]] and not newline["differs"]


def test_a_changed_line_shows_expected_then_actual_between_common_lines() -> None:
    [changed] = diff(("a\nb\nc\n", "a\nB\nc\n"))
    assert changed["rows"] == [["same", "a"], ["expected", "b"], ["actual", "B"],
                               ["same", "c"]]
    assert changed["differs"]


def test_missing_and_extra_lines_keep_the_common_ones_aligned() -> None:
    missing, extra, empty, windows = diff(("1\n2\n3\n", "1\n3\n"), ("x\n", "debug\nx\n"),
                                          ("42\n", ""), ("a\r\nb\r\n", "a\nb\n"))
    assert missing["rows"] == [["same", "1"], ["expected", "2"], ["same", "3"]]
    assert extra["rows"] == [["actual", "debug"], ["same", "x"]]
    assert empty["rows"] == [["expected", "42"]] and empty["lines"] == [1, 0]
    assert windows["rows"] == [["same", "a"], ["same", "b"]]  # CRLF is a newline too


def test_huge_outputs_are_compared_line_by_line_without_a_quadratic_table() -> None:
    expected = "".join(f"{n}\n" for n in range(1000))
    actual = "".join(f"{n if n != 500 else 'x'}\n" for n in range(1000))
    [big] = diff((expected, actual))
    changed = [row for row in big["rows"] if row[0] != "same"]
    assert changed == [["expected", "500"], ["actual", "x"]]
    assert len(big["rows"]) == 1001
