"""Similarity between students' submissions: winnowed fingerprints of normalised tokens.

Pure library (no database, no web). A source is lexed (Python's own tokenizer for
Python, Pygments for the other languages and for Python it refuses), each token is
reduced to a symbol that survives the usual disguises (identifiers become ``N``, string
literals ``$``, numbers ``#``; comments, docstrings and layout disappear; keywords,
operators, punctuation and built-in names stay), the symbols are hashed as k-grams and a
winnowing window keeps a few of those hashes as the file's fingerprints, each remembering
the lines it came from. Submissions of one exercise are compared through an inverted index
of fingerprints, so only pairs that share something are ever scored. See
``docs/coding-lab-similarity.md``.
"""

from __future__ import annotations

import bisect
import builtins
import hashlib
import heapq
import io
import itertools
import keyword
import re
import tokenize as py_tokenize
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pygments.lexer import Lexer
from pygments.lexers.c_cpp import CLexer, CppLexer
from pygments.lexers.javascript import JavascriptLexer
from pygments.lexers.jvm import JavaLexer
from pygments.lexers.python import PythonLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    _TokenType,
)

SubmissionKey = int | str

LANGUAGES: tuple[str, ...] = ("python3", "c", "cpp", "java", "javascript")

_LEXERS: dict[str, type[Lexer]] = {
    "python3": PythonLexer,
    "c": CLexer,
    "cpp": CppLexer,
    "java": JavaLexer,
    "javascript": JavascriptLexer,
}

# Statement terminators that a language lets the author leave out: dropping them means
# "with or without semicolons" is not a difference.
_OPTIONAL_SYMBOLS: dict[str, frozenset[str]] = {
    "python3": frozenset({";"}),
    "javascript": frozenset({";"}),
}

# What almost every submission in a language starts or ends with, whoever wrote it:
# reading the input, the class around ``main``, the guard around a Python entry point.
# Every k-gram of these snippets is ignored, as if it were starter code.
BOILERPLATE: dict[str, tuple[str, ...]] = {
    "python3": (
        "import sys\ninput = sys.stdin.readline\n",
        "def main():\n    n = int(input())\n    values = list(map(int, input().split()))\n",
        "a, b = map(int, input().split())\nprint(a + b)\n",
        "if __name__ == '__main__':\n    main()\n",
    ),
    "c": (
        "#include <stdio.h>\nint main(void) {\n    int n;\n    scanf(\"%d\", &n);\n"
        "    return 0;\n}\n",
        "int main(int argc, char *argv[]) {\n    return 0;\n}\n",
        "int main() {\n    int a, b;\n    scanf(\"%d %d\", &a, &b);\n"
        "    printf(\"%d\\n\", a + b);\n    return 0;\n}\n",
    ),
    "cpp": (
        "#include <iostream>\nusing namespace std;\nint main() {\n"
        "    ios::sync_with_stdio(false);\n    cin.tie(nullptr);\n    int n;\n    cin >> n;\n"
        "    return 0;\n}\n",
        "int main(int argc, char *argv[]) {\n    return 0;\n}\n",
    ),
    "java": (
        "import java.util.Scanner;\npublic class Main {\n"
        "    public static void main(String[] args) {\n"
        "        Scanner sc = new Scanner(System.in);\n        int n = sc.nextInt();\n"
        "        sc.close();\n    }\n}\n",
        "import java.io.*;\npublic class Main {\n"
        "    public static void main(String[] args) throws IOException {\n"
        "        BufferedReader br = new BufferedReader(new InputStreamReader(System.in));\n"
        "        String line = br.readLine();\n    }\n}\n",
    ),
    "javascript": (
        "const lines = require('fs').readFileSync(0, 'utf8').split('\\n');\n",
        "const readline = require('readline');\n"
        "const rl = readline.createInterface({ input: process.stdin, output: process.stdout });\n"
        "rl.on('line', (line) => {\n});\n",
    ),
}


class UnsupportedLanguage(ValueError):
    """The language is not one of the sandbox's languages."""


@dataclass(frozen=True)
class SimilarityConfig:
    """How fingerprints are taken and which of them count.

    :param k: length of a k-gram in normalised tokens: shared runs shorter than this are
        noise and are never seen.
    :param window: winnowing window, in k-grams: any shared run of at least
        ``k + window - 1`` tokens is guaranteed to yield a common fingerprint.
    :param common_fraction: with ``common_min_count``, when a fingerprint is too common to
        count (see :meth:`common_limit`).
    :param common_min_count: a fingerprint found in at most this many submissions is never
        treated as common, so a small class or a copying ring of a few students keeps it.
    :param use_boilerplate: ignore :data:`BOILERPLATE` for the language.
    :param max_match_occurrences: when one fingerprint recurs in a file (repeated code),
        at most this many of its places on each side are paired into regions.
    """

    k: int = 12
    window: int = 6
    common_fraction: float = 0.1
    common_min_count: int = 10
    use_boilerplate: bool = True
    max_match_occurrences: int = 8

    def __post_init__(self) -> None:
        if self.k < 1 or self.window < 1:
            raise ValueError("k and window must be at least 1")
        if not 0.0 <= self.common_fraction <= 1.0:
            raise ValueError("common_fraction must be within [0, 1]")

    def common_limit(self, submissions: int) -> int:
        """The most submissions a fingerprint may appear in and still count."""
        return max(self.common_min_count, int(self.common_fraction * submissions))


DEFAULT_CONFIG = SimilarityConfig()


@dataclass(frozen=True)
class Tokens:
    """A source as normalised symbols, each with the lines (1-based) it spans."""

    symbols: tuple[str, ...]
    first_lines: tuple[int, ...]
    last_lines: tuple[int, ...]


@dataclass(frozen=True)
class Fingerprint:
    """One winnowed k-gram hash and where it sits in its source."""

    hash: int
    token: int
    first_line: int
    last_line: int


@dataclass(frozen=True)
class Fingerprints:
    """A source's tokens and the fingerprints winnowing kept from them."""

    tokens: Tokens
    fingerprints: tuple[Fingerprint, ...]

    @property
    def hashes(self) -> frozenset[int]:
        return frozenset(f.hash for f in self.fingerprints)


@dataclass(frozen=True)
class LineRange:
    """Lines ``start`` to ``end``, 1-based and inclusive."""

    start: int
    end: int

    def touches(self, other: LineRange) -> bool:
        return self.start <= other.end + 1 and other.start <= self.end + 1


@dataclass(frozen=True)
class Region:
    """A stretch of code found on both sides of a pair."""

    a: LineRange
    b: LineRange
    tokens: int


@dataclass(frozen=True)
class PairMatch:
    """How much two submissions share.

    ``score`` is the Jaccard index of their fingerprint sets; ``coverage_a`` is the share
    of ``a``'s fingerprints found in ``b`` (and the reverse for ``coverage_b``), which is
    what stands out when a short copy sits inside a longer file.
    """

    a: SubmissionKey
    b: SubmissionKey
    score: float
    coverage_a: float
    coverage_b: float
    shared: int
    regions: tuple[Region, ...]


@dataclass(frozen=True)
class SimilarityReport:
    """Ranked pairs of one exercise's submissions, most similar first."""

    language: str
    config: SimilarityConfig
    pairs: tuple[PairMatch, ...]
    fingerprint_counts: Mapping[SubmissionKey, int]
    common_fingerprints: int
    candidate_pairs: int


@dataclass(frozen=True)
class MarkedLine:
    """One line of a source for the page, with the regions (indexes) it belongs to."""

    number: int
    text: str
    regions: tuple[int, ...]


def normalise_newlines(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


def source_lines(source: str) -> list[str]:
    """The lines of a source as regions count them (line ``n`` is item ``n - 1``)."""
    text = normalise_newlines(source)
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


@cache
def _lexer(language: str) -> Lexer:
    try:
        lexer_class = _LEXERS[language]
    except KeyError:
        raise UnsupportedLanguage(language) from None
    return lexer_class()


@cache
def _symbol(ttype: _TokenType, value: str) -> str | None:
    if ttype in Comment or ttype in String.Doc or ttype in Text:
        return None
    if ttype in String:
        return "$"
    if ttype in Number:
        return "#"
    if ttype in Name.Builtin or ttype in Name.Exception:
        # Built-in names cannot be renamed away; they tell solutions apart.
        return value
    if ttype in Name:
        return "N"
    if ttype in Keyword or ttype in Operator:
        return value
    stripped = value.strip()
    return stripped or None


# (symbol, first line, last line)
_Lexeme = tuple[str, int, int]


def _pygments_lexemes(text: str, language: str) -> Iterator[_Lexeme]:
    lexer = _lexer(language)
    python = language == "python3"
    line_starts = [0]
    line_starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    fstring_first = 0
    fstring_open = False
    fstring_close: str | None = None
    for offset, ttype, value in lexer.get_tokens_unprocessed(text):
        if fstring_close is not None:
            # Everything up to the closing quote, interpolations included, is one string,
            # as Python's own tokenizer (before 3.12) sees it.
            if ttype in String and ttype not in String.Interpol and value == fstring_close:
                yield "$", fstring_first, line_of(offset + len(value) - 1)
                fstring_close = None
                continue
            if len(fstring_close) > 1 or "\n" not in value:
                continue
            # A one-line f-string left open ends with its line; the code after it counts.
            yield "$", fstring_first, fstring_first
            fstring_close = None
        if fstring_open:
            fstring_open = False
            fstring_close = value
            continue
        if python and ttype in String.Affix and "f" in value.lower():
            fstring_open = True
            fstring_first = line_of(offset)
            continue
        symbol = _symbol(ttype, value)
        if symbol is None:
            continue
        first = line_of(offset)
        last = line_of(offset + max(len(value.rstrip()), 1) - 1)
        if python and len(symbol) > 1 and (ttype in Operator or ttype in Punctuation):
            if ttype not in Operator.Word:
                # Operators one character at a time, so both Python lexers agree.
                for ch in symbol:
                    yield ch, first, last
                continue
        yield symbol, first, last


def _kept_python_names() -> frozenset[str]:
    """The built-in names Pygments keeps as themselves, so both Python lexers keep them."""
    lexer = PythonLexer()
    kept = set()
    for name in [*dir(builtins), "self", "cls"]:
        tokens = [(t, v) for _, t, v in lexer.get_tokens_unprocessed(name) if v.strip()]
        if len(tokens) == 1 and _symbol(tokens[0][0], name) == name:
            kept.add(name)
    return frozenset(kept)


_PY_KEPT_NAMES = _kept_python_names()
_PY_DOCSTRING = re.compile(r"[rRuUbB]{0,2}(\"\"\"|\'\'\')")
_PY_SKIPPED = frozenset(
    {
        py_tokenize.COMMENT,
        py_tokenize.NL,
        py_tokenize.NEWLINE,
        py_tokenize.INDENT,
        py_tokenize.DEDENT,
        py_tokenize.ENDMARKER,
    }
)
_FSTRING_START = getattr(py_tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(py_tokenize, "FSTRING_END", -1)


def _python_lexemes(text: str) -> list[_Lexeme]:
    """Python's own tokenizer, several times faster than Pygments' Python lexer.

    Raises on what it cannot tokenize (unterminated strings, bad indentation); the caller
    then falls back to Pygments. The symbols follow the Pygments path's rules: built-in
    names kept, except after ``.``, ``def`` or ``class``; a triple-quoted string opening a
    line is a docstring; ``match`` / ``case`` are keywords at the start of a line.
    """
    out: list[_Lexeme] = []
    previous = ""
    fstring_depth = 0
    fstring_first = 0
    for tok in py_tokenize.generate_tokens(io.StringIO(text).readline):
        kind, value = tok.type, tok.string
        if kind == _FSTRING_START:
            if fstring_depth == 0:
                fstring_first = tok.start[0]
            fstring_depth += 1
            continue
        if fstring_depth:
            if kind == _FSTRING_END:
                fstring_depth -= 1
                if fstring_depth == 0:
                    out.append(("$", fstring_first, tok.end[0]))
                    previous = "$"
            continue
        if kind in _PY_SKIPPED:
            continue
        first, last = tok.start[0], tok.end[0]
        at_line_start = not tok.line[: tok.start[1]].strip()
        if kind == py_tokenize.STRING:
            docstring = _PY_DOCSTRING.match(value)
            if docstring and at_line_start:
                if docstring.start(1):
                    out.append(("$", first, first))  # Pygments keeps the prefix
                continue
            out.append(("$", first, last))
        elif kind == py_tokenize.NUMBER:
            out.append(("#", first, last))
        elif kind == py_tokenize.NAME:
            if keyword.iskeyword(value):
                symbol = value
            elif value in ("match", "case") and at_line_start and tok.line.rstrip().endswith(":"):
                symbol = value
            elif value == "_" and tok.line.lstrip().startswith("case "):
                symbol = value
            elif value in _PY_KEPT_NAMES and previous not in (".", "def", "class"):
                symbol = value
            else:
                symbol = "N"
            out.append((symbol, first, last))
        elif kind == py_tokenize.OP:
            out.extend((ch, first, last) for ch in value)
        elif value.strip():
            raise py_tokenize.TokenError("unexpected token", tok.start)
        previous = out[-1][0] if out else ""
    return out


def tokenize(
    source: str, language: str, *, engine: Literal["auto", "pygments"] = "auto"
) -> Tokens:
    """Lex ``source`` and reduce every token to its normalised symbol.

    Runs of string pieces (adjacent literals, an f-string) become one ``$``. Never fails
    on broken code: Python goes through the standard tokenizer and, when that refuses the
    code, through Pygments, which lexes whatever it is given (``engine="pygments"`` forces
    it).
    """
    _lexer(language)
    optional = _OPTIONAL_SYMBOLS.get(language, frozenset())
    text = normalise_newlines(source)
    if not text.endswith("\n"):
        text += "\n"
    lexemes: Iterable[_Lexeme]
    if language == "python3" and engine == "auto":
        try:
            lexemes = _python_lexemes(text)
        except (py_tokenize.TokenError, SyntaxError):
            lexemes = _pygments_lexemes(text, language)
    else:
        lexemes = _pygments_lexemes(text, language)
    symbols: list[str] = []
    firsts: list[int] = []
    lasts: list[int] = []
    for symbol, first, last in lexemes:
        if symbol in optional:
            continue
        if symbol == "$" and symbols and symbols[-1] == "$":
            lasts[-1] = max(lasts[-1], last)
            continue
        symbols.append(symbol)
        firsts.append(first)
        lasts.append(last)
    return Tokens(tuple(symbols), tuple(firsts), tuple(lasts))


_symbol_ids: dict[str, int] = {}


def _symbol_id(symbol: str) -> int:
    # A digest rather than hash(): str hashes change from one process to the next, and the
    # winnowing choice (and so the report) must not.
    found = _symbol_ids.get(symbol)
    if found is None:
        digest = hashlib.blake2b(symbol.encode("utf-8"), digest_size=8).digest()
        found = int.from_bytes(digest, "big")
        _symbol_ids[symbol] = found
    return found


def _kgram_hashes(tokens: Tokens, k: int) -> list[int]:
    ids = [_symbol_id(s) for s in tokens.symbols]
    # The hash of a tuple of ints is deterministic in CPython (no per-process salt).
    return [hash(tuple(ids[i : i + k])) for i in range(len(ids) - k + 1)]


def _winnow(hashes: Sequence[int], window: int) -> list[int]:
    """Positions kept by winnowing: the rightmost minimum of every window, once each."""
    if not hashes:
        return []
    if len(hashes) <= window:
        low = min(hashes)
        return [len(hashes) - 1 - hashes[::-1].index(low)]
    kept: list[int] = []
    last = -1
    for start in range(len(hashes) - window + 1):
        best = start
        low = hashes[start]
        for pos in range(start + 1, start + window):
            if hashes[pos] <= low:
                best, low = pos, hashes[pos]
        if best != last:
            kept.append(best)
            last = best
    return kept


def fingerprint(
    source: str, language: str, config: SimilarityConfig = DEFAULT_CONFIG
) -> Fingerprints:
    """The winnowed fingerprints of one source (nothing excluded yet)."""
    tokens = tokenize(source, language)
    hashes = _kgram_hashes(tokens, config.k)
    return Fingerprints(
        tokens,
        tuple(
            Fingerprint(
                hashes[pos], pos, tokens.first_lines[pos], tokens.last_lines[pos + config.k - 1]
            )
            for pos in _winnow(hashes, config.window)
        ),
    )


def excluded_hashes(
    language: str, starter: str = "", config: SimilarityConfig = DEFAULT_CONFIG
) -> frozenset[int]:
    """Every k-gram hash of the starter code and of the language's boilerplate.

    All k-grams, not only the winnowed ones, so a fingerprint that a submission picked
    inside starter code is removed whichever position its own window chose.
    """
    sources = [starter] if starter else []
    if config.use_boilerplate:
        sources.extend(BOILERPLATE.get(language, ()))
    excluded: set[int] = set()
    for text in sources:
        excluded.update(_kgram_hashes(tokenize(text, language), config.k))
    return frozenset(excluded)


@dataclass(frozen=True)
class _Document:
    key: SubmissionKey
    prints: Fingerprints
    hashes: frozenset[int]


def _ignored_tokens(document: _Document, ignored: frozenset[int], k: int) -> list[bool]:
    """Which tokens lie inside a k-gram of starter code, boilerplate or common code."""
    covered = [False] * len(document.prints.tokens.symbols)
    if not ignored:
        return covered
    for pos, h in enumerate(_kgram_hashes(document.prints.tokens, k)):
        if h in ignored:
            covered[pos : pos + k] = [True] * k
    return covered


def _regions(
    a: _Document, b: _Document, ignored: frozenset[int], config: SimilarityConfig
) -> tuple[Region, ...]:
    shared = a.hashes & b.hashes
    if not shared:
        return ()
    cap = config.max_match_occurrences
    places_b: dict[int, list[int]] = defaultdict(list)
    for f in b.prints.fingerprints:
        if f.hash in shared and len(places_b[f.hash]) < cap:
            places_b[f.hash].append(f.token)
    seen_a: Counter[int] = Counter()
    matches: list[tuple[int, int]] = []
    for f in a.prints.fingerprints:
        if f.hash in shared and seen_a[f.hash] < cap:
            seen_a[f.hash] += 1
            matches.extend((f.token, tb) for tb in places_b[f.hash])
    matches.sort()
    k = config.k
    # Chains of overlapping k-grams that advance together on both sides: [a0, a1, b0, b1]
    # token positions, inclusive.
    chains: list[list[int]] = []
    for ta, tb in matches:
        for chain in chains:
            if ta <= chain[1] + 1 and chain[2] <= tb <= chain[3] + 1:
                chain[1] = max(chain[1], ta + k - 1)
                chain[3] = max(chain[3], tb + k - 1)
                break
        else:
            chains.append([ta, ta + k - 1, tb, tb + k - 1])
    # A k-gram straddling the edge of starter or common code matches when the code next to
    # it does; its tokens inside that code are not part of the copy, so they are trimmed.
    ignored_a = _ignored_tokens(a, ignored, k)
    ignored_b = _ignored_tokens(b, ignored, k)
    ta_tokens, tb_tokens = a.prints.tokens, b.prints.tokens
    found: list[Region] = []
    for a0, a1, b0, b1 in chains:
        while a0 <= a1 and b0 <= b1 and (ignored_a[a0] or ignored_b[b0]):
            a0, b0 = a0 + 1, b0 + 1
        while a0 <= a1 and b0 <= b1 and (ignored_a[a1] or ignored_b[b1]):
            a1, b1 = a1 - 1, b1 - 1
        if a0 > a1 or b0 > b1:
            continue
        found.append(
            Region(
                LineRange(ta_tokens.first_lines[a0], ta_tokens.last_lines[a1]),
                LineRange(tb_tokens.first_lines[b0], tb_tokens.last_lines[b1]),
                min(a1 - a0, b1 - b0) + 1,
            )
        )
    return _merge_regions(found)


def _span(first: LineRange, second: LineRange) -> LineRange:
    return LineRange(min(first.start, second.start), max(first.end, second.end))


def _merge_regions(regions: list[Region]) -> tuple[Region, ...]:
    """Merge regions that touch on both sides and run in the same order, until none do."""
    pending = sorted(regions, key=lambda r: (r.a.start, r.b.start))
    changed = True
    while changed:
        changed = False
        merged: list[Region] = []
        for region in pending:
            for i, other in enumerate(merged):
                same_order = (region.a.start - other.a.start) * (region.b.start - other.b.start)
                if region.a.touches(other.a) and region.b.touches(other.b) and same_order >= 0:
                    merged[i] = Region(
                        _span(region.a, other.a), _span(region.b, other.b),
                        region.tokens + other.tokens,
                    )
                    changed = True
                    break
            else:
                merged.append(region)
        pending = sorted(merged, key=lambda r: (r.a.start, r.b.start))
    return tuple(pending)


def _pair(
    a: _Document,
    b: _Document,
    shared: int,
    config: SimilarityConfig,
    ignored: frozenset[int] | None = None,
) -> PairMatch:
    size_a, size_b = len(a.hashes), len(b.hashes)
    union = size_a + size_b - shared
    return PairMatch(
        a=a.key,
        b=b.key,
        score=shared / union if union else 0.0,
        coverage_a=shared / size_a if size_a else 0.0,
        coverage_b=shared / size_b if size_b else 0.0,
        shared=shared,
        regions=_regions(a, b, ignored, config) if ignored is not None else (),
    )


def compare_submissions(
    submissions: Mapping[int, str] | Mapping[str, str],
    language: str,
    *,
    starter: str = "",
    config: SimilarityConfig = DEFAULT_CONFIG,
    limit: int | None = 100,
    min_score: float = 0.0,
    method: Literal["index", "all_pairs"] = "index",
) -> SimilarityReport:
    """Compare every pair of one exercise's submissions and rank the pairs.

    Fingerprints of ``starter`` and of the language's boilerplate are removed from every
    submission, then those found in more than ``config.common_limit(n)`` submissions.
    Only pairs sharing at least one remaining fingerprint are listed, most similar first
    (score, then the larger coverage, then shared count; ties keep submission order), at
    most ``limit`` of them with ``score >= min_score``; matching regions are computed for
    the listed pairs only.

    :param method: ``"index"`` finds candidate pairs through an inverted index of
        fingerprints; ``"all_pairs"`` intersects every pair's sets, the naive baseline the
        benchmark and the tests compare against. Both give the same report.
    """
    _lexer(language)  # refuse an unknown language even with nothing to compare
    excluded = excluded_hashes(language, starter, config)
    documents: list[_Document] = []
    for key, source in submissions.items():
        prints = fingerprint(source, language, config)
        documents.append(_Document(key, prints, prints.hashes - excluded))
    postings: dict[int, list[int]] = defaultdict(list)
    for index, document in enumerate(documents):
        for h in document.hashes:
            postings[h].append(index)
    ceiling = config.common_limit(len(documents))
    common = frozenset(h for h, holders in postings.items() if len(holders) > ceiling)
    if common:
        documents = [_Document(d.key, d.prints, d.hashes - common) for d in documents]

    shared_counts: dict[tuple[int, int], int]
    if method == "index":
        # Per submission, count in C (Counter over the postings it meets) how many
        # fingerprints it shares with each later one; pairs that share nothing never
        # appear. The work is the sum of squared posting lengths, which the common
        # limit bounds.
        shared_counts = {}
        for i, document in enumerate(documents):
            met = Counter(itertools.chain.from_iterable(postings[h] for h in document.hashes))
            for j, count in met.items():
                if j > i:
                    shared_counts[(i, j)] = count
    elif method == "all_pairs":
        shared_counts = {}
        for i, document in enumerate(documents):
            for j in range(i + 1, len(documents)):
                count = len(document.hashes & documents[j].hashes)
                if count:
                    shared_counts[(i, j)] = count
    else:
        raise ValueError(f"unknown method {method!r}")

    # Rank on plain tuples; only the listed pairs become PairMatch objects with regions.
    sizes = [len(d.hashes) for d in documents]
    ranked: list[tuple[float, float, int, int, int]] = []
    for (i, j), shared in shared_counts.items():
        score = shared / (sizes[i] + sizes[j] - shared)
        if score >= min_score:
            coverage = max(shared / sizes[i], shared / sizes[j])
            ranked.append((-score, -coverage, -shared, i, j))
    chosen = sorted(ranked) if limit is None else heapq.nsmallest(limit, ranked)
    ignored = excluded | common
    pairs = tuple(
        _pair(documents[i], documents[j], -negative_shared, config, ignored)
        for _, _, negative_shared, i, j in chosen
    )
    return SimilarityReport(
        language=language,
        config=config,
        pairs=pairs,
        fingerprint_counts={d.key: len(d.hashes) for d in documents},
        common_fingerprints=len(common),
        candidate_pairs=len(shared_counts),
    )


def compare_pair(
    source_a: str,
    source_b: str,
    language: str,
    *,
    starter: str = "",
    config: SimilarityConfig = DEFAULT_CONFIG,
) -> PairMatch:
    """Compare two sources on their own (nothing is common between two files).

    Returns a zero-score match when they share nothing.
    """
    report = compare_submissions({"a": source_a, "b": source_b}, language, starter=starter,
                                 config=config, limit=1)
    if report.pairs:
        return report.pairs[0]
    return PairMatch("a", "b", 0.0, 0.0, 0.0, 0, ())


def line_marks(source: str, ranges: Sequence[LineRange]) -> list[MarkedLine]:
    """Every line of ``source`` with the indexes of the ranges that cover it.

    Plain data for a template to escape and colour; the code itself is never turned into
    markup here.
    """
    marked: list[MarkedLine] = []
    for number, text in enumerate(source_lines(source), start=1):
        covering = tuple(i for i, r in enumerate(ranges) if r.start <= number <= r.end)
        marked.append(MarkedLine(number, text, covering))
    return marked


def pair_line_marks(
    source_a: str, source_b: str, pair: PairMatch
) -> tuple[list[MarkedLine], list[MarkedLine]]:
    """Both sides of a pair, line by line, region ``i`` marked on both with the same index."""
    return (
        line_marks(source_a, [r.a for r in pair.regions]),
        line_marks(source_b, [r.b for r in pair.regions]),
    )


def find_pair(report: SimilarityReport, a: SubmissionKey, b: SubmissionKey) -> PairMatch | None:
    """The listed pair of ``a`` and ``b`` (in either order), or ``None``.

    A side-by-side view opened from the report should take the pair from the report of the
    whole assignment, where code common to the class is already left out: a two-file
    :func:`compare_pair` has no class to know what is common.
    """
    for pair in report.pairs:
        if {pair.a, pair.b} == {a, b}:
            return pair
    return None
