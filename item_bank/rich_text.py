"""Rich item content: Markdown with math, and HTML made safe on the way in and out.

Stems, options and feedback may be Markdown (CommonMark, raw HTML not interpreted) with
``$…$`` / ``$$…$$`` math, or HTML (imported items). Whatever the source, what is stored
and what a browser receives goes through :func:`sanitise_html`: an allowlist of tags and
attributes (no script, style, event handler, form, frame or ``javascript:`` URL). Math
is kept as TeX in ``<span class="math inline">`` / ``<div class="math block">`` for the
page to typeset. Images must carry alternative text (:func:`images_without_alt`).
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
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
CLASSES = {"span": {"math", "inline"}, "div": {"math", "block"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin,
                                                           double_inline=True)


def sanitise_html(html: str) -> str:
    """``html`` with everything outside the allowlist removed (script and style elements
    with their content); links get ``rel="noopener noreferrer"``."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     clean_content_tags={"script", "style"}, strip_comments=True)


def render_markdown(text: str) -> str:
    """Markdown (with math) to safe HTML."""
    return sanitise_html(_markdown.render(text))


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.missing: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            if not (values.get("alt") or "").strip():
                self.missing.append(values.get("src") or "")


def images_without_alt(html: str) -> list[str]:
    """The ``src`` of every image without alternative text."""
    finder = _ImageFinder()
    finder.feed(html)
    finder.close()
    return finder.missing


def require_alt_text(html: str, field: str) -> None:
    """Refuse content with an image a screen reader could not describe."""
    missing = images_without_alt(html)
    if missing:
        raise Invalid("image_alt_missing", field=field, image=missing[0])
