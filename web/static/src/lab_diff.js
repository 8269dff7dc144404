// A line-based diff of a test's expected output and the program's output, computed in the
// browser from the two strings the API returns. Pure functions: no DOM here.

/** Split an output into lines; a final newline does not make an extra empty line. */
export function outputLines(text) {
  if (typeof text !== "string" || text === "") return [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

// Above this many cells, the table would be too large for a page: compare line by line.
const MAX_CELLS = 400000;

/**
 * The diff of `expected` and `actual` as rows `{op, text}` in reading order, where `op` is
 * "same", "expected" (only in the expected output, missing from the program's) or
 * "actual" (only in the program's output). A longest common subsequence of lines keeps
 * the unchanged lines together; a line that differs shows as expected then actual.
 */
export function lineDiff(expected, actual) {
  const a = outputLines(expected);
  const b = outputLines(actual);
  if (a.length * b.length > MAX_CELLS) return pairwise(a, b);
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: the longest common subsequence of a[i:] and b[j:], in a flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j]
        ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      rows.push({ op: "same", text: a[i] });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      rows.push({ op: "expected", text: a[i++] });
    } else {
      rows.push({ op: "actual", text: b[j++] });
    }
  }
  while (i < n) rows.push({ op: "expected", text: a[i++] });
  while (j < m) rows.push({ op: "actual", text: b[j++] });
  return rows;
}

function pairwise(a, b) {
  const rows = [];
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    if (k < a.length && k < b.length && a[k] === b[k]) rows.push({ op: "same", text: a[k] });
    else {
      if (k < a.length) rows.push({ op: "expected", text: a[k] });
      if (k < b.length) rows.push({ op: "actual", text: b[k] });
    }
  }
  return rows;
}

/** Whether the diff shows any difference. */
export function differs(rows) {
  return rows.some((row) => row.op !== "same");
}
