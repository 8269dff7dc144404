"""Rich item content: Markdown with math, sanitised HTML, required alternative text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from item_bank.rich_text import (
    images_without_alt,
    render_markdown,
    require_alt_text,
    sanitise_html,
)

HOSTILE = [
    ("<script>alert(1)</script><p>ok</p>", "alert"),
    ('<img src="x.png" alt="x" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">lien</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">lien</a>', "alert"),
    ("<style>body{display:none}</style><p>ok</p>", "display"),
    ('<iframe src="https://example.org"></iframe>', "iframe"),
    ('<form action="/x"><input name="a"></form>', "<input"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "style"),
    ('<svg onload="alert(1)"><circle/></svg>', "onload"),
    ("<p>ok<!-- <script>alert(1)</script> --></p>", "alert"),
    ('<span class="math inline evil">x</span>', "evil"),
    ('<object data="x.swf"></object>', "object"),
]


@pytest.mark.parametrize(("html", "gone"), HOSTILE)
def test_hostile_html_loses_what_could_run_or_restyle(html: str, gone: str) -> None:
    clean = sanitise_html(html)
    assert gone.lower() not in clean.lower(), clean


def test_ordinary_content_survives_sanitising() -> None:
    html = ('<p lang="en">Un <strong>texte</strong> avec <sub>2</sub> et un '
            '<a href="https://example.org/a">lien</a></p>'
            '<table><tr><th scope="col">x</th></tr><tr><td>1</td></tr></table>'
            '<img src="media/abc.png" alt="Carte du Québec">')
    clean = sanitise_html(html)
    for kept in ("<strong>texte</strong>", "<sub>2</sub>", 'href="https://example.org/a"',
                 'rel="noopener noreferrer"', '<th scope="col">', 'alt="Carte du Québec"',
                 'src="media/abc.png"'):
        assert kept in clean, clean


def test_markdown_keeps_math_as_tex_and_never_interprets_raw_html() -> None:
    html = render_markdown("Soit $a_1 * b_2$ et **gras** <script>x</script>\n\n"
                           "$$\\frac{1}{2}$$\n")
    assert '<span class="math inline">a_1 * b_2</span>' in html
    assert '<div class="math block">' in html and "\\frac{1}{2}" in html
    assert "<strong>gras</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_images_need_alternative_text() -> None:
    assert images_without_alt('<img src="a.png" alt="Un chat"><img src="b.png">'
                              '<img src="c.png" alt="  ">') == ["b.png", "c.png"]
    with pytest.raises(Invalid) as refused:
        require_alt_text('<p><img src="b.png"></p>', "stem")
    assert refused.value.code == "image_alt_missing"
    assert refused.value.params == {"field": "stem", "image": "b.png"}
    require_alt_text('<img src="a.png" alt="Un chat">', "stem")


@given(st.text(max_size=200))
def test_sanitising_is_idempotent_and_never_lets_a_script_through(text: str) -> None:
    once = sanitise_html(text)
    assert sanitise_html(once) == once
    assert "<script" not in once.lower()
    assert "<script" not in render_markdown(text).lower()
