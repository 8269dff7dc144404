"""Rich item content: Markdown with math, and HTML made safe on the way in and out.

Stems, options and passages are Markdown (CommonMark; inline HTML allowed) with
``$…$`` / ``$$…$$`` math, or HTML (imported items: a text that starts with a block
element such as ``<p>`` is taken as HTML and not read as Markdown). Imported HTML is
sanitised when it is imported; every text is converted and sanitised again by
:func:`render_text` when it is sent to a browser (:func:`payload_html`), so what a
page receives has always passed :func:`sanitise_html`: an allowlist of tags and
attributes (no script, style, event handler, form, frame or ``javascript:`` URL).
Math is kept as TeX in ``<span class="math inline">`` (``math display`` for ``$$…$$``
inside a line) and ``<div class="math block">``, for the page to typeset. Images must
carry alternative text (:func:`require_alt_text_in`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ardoise.errors import Invalid

TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark",
    "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "h3", "h4", "h5", "h6", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "img", "figure", "figcaption", "a", "span", "div",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "span": {"lang"},
    "div": {"lang"},
    "p": {"lang"},
}
#: Only these classes survive (the ones math is carried in); ``class`` is not listed above.
CLASSES = {"span": {"math", "inline", "display"}, "div": {"math", "block"}}
URL_SCHEMES = {"http", "https", "mailto"}

#: A text that starts with one of these elements is HTML (imported), not Markdown: read as
#: Markdown, an indented line after a blank one would turn into a code block.
_HTML_START = re.compile(
    r"\A\s*<(?:p|div|table|ul|ol|dl|h[1-6]|blockquote|pre|figure|section|article|hr)[\s/>]",
    re.IGNORECASE)
#: The markers of structured texts (inline-choice gaps ``{{gap}}``), kept verbatim.
_MARKER = re.compile(r"\{\{\s*[A-Za-z0-9_-]{1,40}\s*\}\}")
_PLACEHOLDER = "ardoisemarker{}q7z"
_PARAGRAPH = re.compile(r"<p[\s>]")

#: Fields of a render payload (and of content) that hold a text per language.
BLOCK_FIELDS = ("stem", "text", "rubric")
#: Fields that hold a list of ``{"id", "text"}`` entries (choices, pairs, steps).
LIST_FIELDS = ("options", "premises", "responses", "items")


def _inline_double_math(self: RendererHTML, tokens: Sequence[Token], idx: int,
                        options: OptionsDict, env: EnvType) -> str:
    # ``$$…$$`` inside a line: display math that stays in its paragraph (a div there
    # would not be valid HTML).
    return f'<span class="math display">{escape(tokens[idx].content)}</span>'


_TAG = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9]*)")
_VOID = {"br", "hr", "img", "wbr"}


def _stray_tags(state: StateCore) -> None:
    """Inline HTML counts only as whole elements: an opening tag needs its closing tag in
    the same paragraph (void elements excepted), else it is text. ``Si a<b et b>c`` is a
    comparison, not a bold element with attributes ``et`` and ``b``."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        open_tags: list[tuple[str, Token]] = []
        stray: list[Token] = []
        for token in block.children:
            found = _TAG.match(token.content) if token.type == "html_inline" else None
            if found is None:
                continue
            closing, name = found.group(1) == "/", found.group(2).lower()
            if not closing:
                if name not in _VOID and not token.content.endswith("/>"):
                    open_tags.append((name, token))
                continue
            for depth in range(len(open_tags) - 1, -1, -1):
                if open_tags[depth][0] == name:
                    stray.extend(t for _, t in open_tags[depth + 1:])
                    del open_tags[depth:]
                    break
            else:
                stray.append(token)
        for token in stray + [t for _, t in open_tags]:
            token.type = "text"


_markdown = MarkdownIt("commonmark", {"html": True}).use(
    dollarmath_plugin, double_inline=True, allow_digits=False, allow_space=False)
_markdown.add_render_rule("math_inline_double", _inline_double_math)
_markdown.core.ruler.push("stray_tags", _stray_tags)


def sanitise_html(html: str) -> str:
    """``html`` with everything outside the allowlist removed (script and style elements
    with their content); links get ``rel="noopener noreferrer"``."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     clean_content_tags={"script", "style"}, strip_comments=True)


def render_markdown(text: str) -> str:
    """Markdown (with math) to safe HTML."""
    return render_text(text)


@lru_cache(maxsize=16384)
def render_text(text: str) -> str:
    """A text as safe HTML: Markdown with math, or HTML when it starts with a block
    element. Markers such as ``{{gap1}}`` come out as written."""
    if _HTML_START.match(text):
        return sanitise_html(text).strip()
    markers: list[str] = []

    def hide(match: re.Match[str]) -> str:
        markers.append(match.group(0))
        return _PLACEHOLDER.format(len(markers) - 1)

    html = _markdown.render(_MARKER.sub(hide, text))
    for index, marker in enumerate(markers):
        html = html.replace(_PLACEHOLDER.format(index), marker)
    return sanitise_html(html).strip()


@lru_cache(maxsize=16384)
def render_short(text: str) -> str:
    """A short text (a choice, a step) as safe HTML without the paragraph around it."""
    html = render_text(text)
    if html.startswith("<p>") and html.endswith("</p>") and \
            len(_PARAGRAPH.findall(html)) == 1:
        return html[3:-4]
    return html


@lru_cache(maxsize=16384)
def render_run(text: str) -> str:
    """A run of words inside a line (between hot-text spans): inline Markdown only, its
    spaces kept."""
    return sanitise_html(_markdown.renderInline(text))


def _texts(value: Any, render: Any) -> Any:
    """A per-language text map with each text rendered; anything else unchanged."""
    if isinstance(value, dict) and value and \
            all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return {lang: render(text) for lang, text in value.items()}
    if isinstance(value, str):
        return render(value)
    return value


def _entries(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{**entry, "text": _texts(entry.get("text"), render_short)}
            if isinstance(entry, dict) and "text" in entry else entry for entry in value]


def payload_html(payload: dict[str, Any]) -> dict[str, Any]:
    """A render payload with every text as safe HTML, for a browser.

    ``stem`` and ``text`` become HTML blocks (an inline-choice text keeps its
    ``{{gap}}`` markers as text); the ``text`` of ``options``, ``premises``,
    ``responses``, ``items`` and of each gap's options becomes short HTML; each run and
    span of a hot-text ``passage`` becomes inline HTML. Nothing is added: the payload
    holds no more than the item type's ``render`` gave.
    """
    out = dict(payload)
    for key in ("stem", "text"):
        if key in out:
            out[key] = _texts(out[key], render_text)
    for key in LIST_FIELDS:
        if key in out:
            out[key] = _entries(out[key])
    if isinstance(out.get("gaps"), list):
        out["gaps"] = [{**gap, "options": _entries(gap.get("options"))}
                       if isinstance(gap, dict) else gap for gap in out["gaps"]]
    passage = out.get("passage")
    if isinstance(passage, dict) and all(isinstance(v, list) for v in passage.values()):
        out["passage"] = {lang: [{**segment, "text": render_run(segment["text"])}
                                 if isinstance(segment, dict) and
                                 isinstance(segment.get("text"), str) else segment
                                 for segment in segments]
                          for lang, segments in passage.items()}
    return out


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.missing: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.sources.append(values.get("src") or "")
            if not (values.get("alt") or "").strip():
                self.missing.append(values.get("src") or "")


def _find_images(html: str) -> _ImageFinder:
    finder = _ImageFinder()
    finder.feed(html)
    finder.close()
    return finder


def images_without_alt(html: str) -> list[str]:
    """The ``src`` of every image without alternative text."""
    return _find_images(html).missing


def image_sources(html: str) -> list[str]:
    """The ``src`` of every image."""
    return _find_images(html).sources


def require_alt_text(html: str, field: str) -> None:
    """Refuse content with an image a screen reader could not describe."""
    missing = images_without_alt(html)
    if missing:
        raise Invalid("image_alt_missing", field=field, image=missing[0])


def content_texts(content: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every text of an item's content that is shown as rich text:
    stems, texts, passages, rubrics, and the texts of choices, pairs, steps and gaps."""
    for key in (*BLOCK_FIELDS, "passage"):
        value = content.get(key)
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, dict):
            yield from ((key, v) for v in value.values() if isinstance(v, str))
    lists = [(key, content.get(key)) for key in LIST_FIELDS]
    gaps = content.get("gaps")
    if isinstance(gaps, list):
        lists += [("gaps", gap.get("options")) for gap in gaps if isinstance(gap, dict)]
    for key, entries in lists:
        for entry in entries if isinstance(entries, list) else []:
            text = entry.get("text") if isinstance(entry, dict) else None
            if isinstance(text, str):
                yield key, text
            elif isinstance(text, dict):
                yield from ((key, v) for v in text.values() if isinstance(v, str))


def require_alt_text_in(content: dict[str, Any]) -> None:
    """Refuse content with an image without alternative text, naming its field."""
    for field, text in content_texts(content):
        require_alt_text(render_text(text), field)
