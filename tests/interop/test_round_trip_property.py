"""Property: any valid, sanitised item of each type survives QTI 3.0 export and import."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedItem
from item_bank.interop.qti3 import export_package
from item_bank.registry import default_registry
from item_bank.rich_text import sanitise_html
from item_bank.types.file_upload import KINDS, SERVER_MAX_BYTES

# Letters, accents, spaces and the characters HTML and XML treat specially.
TEXT = st.text(alphabet="aéZ9 ,.'\"&<>;#%!?-", min_size=1, max_size=20).filter(
    lambda s: sanitise_html(s).strip() != "")
LANGS = st.sampled_from([("fr",), ("en",), ("fr", "en")])


def texts(langs: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({lang: TEXT.map(lambda s: sanitise_html(s).strip())
                                  for lang in langs})


@st.composite
def items(draw: st.DrawFn) -> ParsedItem:
    langs = draw(LANGS)
    kind = draw(st.sampled_from(["single_choice", "multiple_response", "inline_choice",
                                 "matching", "ordering", "hot_text", "short_text", "numeric",
                                 "true_false", "extended_text", "file_upload"]))
    n = draw(st.integers(2, 4))
    labelled = [{"id": f"o{i}", "text": draw(texts(langs))} for i in range(n)]
    content: dict[str, Any] = {"stem": draw(texts(langs)),
                               "points": draw(st.sampled_from([1, 2.5, 10]))}
    if kind == "single_choice":
        content.update(options=labelled, correct="o1", shuffle=draw(st.booleans()))
    elif kind == "multiple_response":
        content.update(options=labelled, correct=["o0", f"o{n - 1}"])
    elif kind == "inline_choice":
        words = draw(texts(langs))
        content.update(text={lang: f"{w} {{{{g1}}}} !" for lang, w in words.items()},
                       gaps=[{"id": "g1", "options": labelled, "correct": "o0"}])
    elif kind == "matching":
        content.update(premises=[{"id": "p1", "text": draw(texts(langs))}],
                       responses=labelled, pairs={"p1": "o1"})
    elif kind == "ordering":
        content.update(items=labelled, scoring=draw(st.sampled_from(["subsequence",
                                                                     "all_or_nothing"])))
    elif kind == "hot_text":
        words = draw(texts(langs))
        content.update(passage={lang: f"{w} [[s1:un]] et [[s2:deux]]"
                                for lang, w in words.items()}, correct=["s2"])
    elif kind == "short_text":
        plain = draw(st.lists(st.text("abcé 1", min_size=0, max_size=8).filter(
            lambda a: not a or a.strip()), min_size=1, max_size=3, unique_by=str.strip))
        patterns = draw(st.lists(st.sampled_from([r"\d+", "ab?c", "[A-Z]{2}", "é|e"]),
                                 max_size=2, unique=True))
        answers: list[Any] = [a for a in plain if a] + [{"pattern": p} for p in patterns]
        content.update(answers=answers or ["a"], case_sensitive=draw(st.booleans()),
                       ignore_accents=draw(st.booleans()))
    elif kind == "file_upload":
        content.update(kinds=draw(st.lists(st.sampled_from(list(KINDS)), min_size=1,
                                           unique=True)),
                       max_bytes=draw(st.integers(1, SERVER_MAX_BYTES)),
                       rubric=draw(st.none() | texts(langs)))
    elif kind == "true_false":
        content.update(correct=draw(st.booleans()))
    elif kind == "extended_text":
        content.update(max_length=draw(st.integers(1, 50_000)),
                       expected_words=draw(st.none() | st.integers(1, 900)),
                       rubric=draw(st.none() | texts(langs)))
    else:
        content.update(answer=draw(st.floats(-1e6, 1e6, allow_nan=False)),
                       tolerance=draw(st.sampled_from([0, 0.5, 0.05])),
                       tolerance_mode=draw(st.sampled_from(["absolute", "relative"])))
    clean = default_registry().get(kind).validate(content)
    return ParsedItem("item-1", kind, draw(TEXT), clean, (), {}, langs[0])


@settings(max_examples=60, deadline=None)
@given(items())
def test_export_then_import_gives_the_same_content(item: ParsedItem) -> None:
    again = parse(export_package([item]), "export.zip").items
    assert len(again) == 1
    assert (again[0].item_type, again[0].content, again[0].language, again[0].title) == (
        item.item_type, item.content, item.language, item.title)
