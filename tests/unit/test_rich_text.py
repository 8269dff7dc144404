"""Rich item content: Markdown with math, sanitised HTML, required alternative text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from item_bank.rich_text import (
    images_without_alt,
    payload_html,
    render_markdown,
    render_run,
    render_short,
    render_text,
    require_alt_text,
    require_alt_text_in,
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


def test_markdown_keeps_math_as_tex_and_sanitises_the_html_it_carries() -> None:
    html = render_markdown("Soit $a_1 * b_2$ et **gras** <script>x</script> <sub>2</sub>\n\n"
                           "$$\\frac{1}{2}$$\n")
    assert '<span class="math inline">a_1 * b_2</span>' in html
    assert '<div class="math block">' in html and "\\frac{1}{2}" in html
    assert "<strong>gras</strong>" in html and "<sub>2</sub>" in html
    assert "<script" not in html and ">x<" not in html


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


# ---------------------------------------------------------------- on the way out

OUT_HOSTILE = [
    "Voici <script>alert(1)</script> un texte",
    '<img src="/media/o/a.png" alt="x" onerror="alert(1)">',
    "[lien](javascript:alert(1))",
    '<a href="javascript:alert(1)">lien</a>',
    "<p onclick=\"alert(1)\">bonjour</p>",
    '<p>Imported <iframe src="https://example.org"></iframe></p>',
    "![x](javascript:alert(1))",
    '<div><style>p{color:red}</style><form action="/x"><input></form></div>',
]


@pytest.mark.parametrize("text", OUT_HOSTILE)
def test_what_a_browser_receives_never_carries_script(text: str) -> None:
    payload = payload_html({"stem": {"fr": text}, "options": [{"id": "a", "text": {"fr": text}}],
                            "passage": {"fr": [{"text": text}, {"id": "s", "text": text}]}})
    for html in (payload["stem"]["fr"], payload["options"][0]["text"]["fr"],
                 payload["passage"]["fr"][0]["text"], payload["passage"]["fr"][1]["text"]):
        lowered = html.lower()
        for gone in ("<script", "alert(1)</", "onerror", "onclick", '="javascript:', "<iframe",
                     "<style", "<form", "<input"):
            assert gone not in lowered, html
        assert "<a " not in lowered or "href" not in lowered  # no link to a script survives


def test_imported_html_is_taken_as_html_not_markdown() -> None:
    # Read as Markdown, the indented line after a blank one would become a code block.
    html = render_text('<p>Première</p>\n\n    <p>Deuxième <em>x</em> $5</p>')
    assert html == "<p>Première</p>\n\n    <p>Deuxième <em>x</em> $5</p>"
    assert "<pre>" not in html and "math" not in html


def test_currency_is_not_math_and_inline_double_dollars_stay_in_the_line() -> None:
    assert "math" not in render_text("Le livre coûte $5 et le cahier $6.")
    # Prices as Quebec writes them: a space before the dollar sign.
    assert "math" not in render_text("Un livre coûte 5 $ et un cahier 6 $.")
    assert "math" not in render_text("Coûte 5$ et 6$.")
    assert render_text("entre 3 $ et $x$") == \
        '<p>entre 3 $ et <span class="math inline">x</span></p>'
    html = render_text("Soit $2x+1$ et $$\\sum_i x_i$$ ici")
    assert '<span class="math inline">2x+1</span>' in html
    assert '<span class="math display">\\sum_i x_i</span>' in html
    assert html.startswith("<p>") and "<div" not in html


def test_short_texts_lose_their_paragraph_and_runs_keep_their_spaces() -> None:
    assert render_short("**Vrai** $x$") == \
        '<strong>Vrai</strong> <span class="math inline">x</span>'
    assert render_short("un\n\ndeux") == "<p>un</p>\n<p>deux</p>"
    assert render_run(" le *chat* ") == " le <em>chat</em> "
    assert render_run("# pas un titre") == "# pas un titre"


def test_gap_markers_survive_markdown_verbatim() -> None:
    html = render_text("Le {{_g1_}} et **le {{ g2 }}** fin")
    assert "{{_g1_}}" in html and "<strong>le {{ g2 }}</strong>" in html
    assert "<em>" not in html and "ardoisemarker" not in html


def test_payload_html_converts_every_text_and_adds_nothing() -> None:
    payload = {
        "stem": {"fr": "**Q** $x$", "en": "**Q**"},
        "options": [{"id": "a", "text": {"fr": "*a*"}}],
        "premises": [{"id": "p", "text": {"fr": "p"}}],
        "responses": [{"id": "r", "text": {"fr": "r"}}],
        "items": [{"id": "i", "text": {"fr": "i"}}],
        "text": {"fr": "Un {{g1}}"},
        "gaps": [{"id": "g1", "options": [{"id": "o", "text": {"fr": "$y$"}}]}],
        "passage": {"fr": [{"text": "Le "}, {"id": "s1", "text": "**chat**"}]},
        "max_selections": 2, "unit": {"fr": "m"},
    }
    out = payload_html(payload)
    assert set(out) == set(payload)
    assert out["stem"] == {"fr": '<p><strong>Q</strong> <span class="math inline">x</span></p>',
                           "en": "<p><strong>Q</strong></p>"}
    assert out["options"] == [{"id": "a", "text": {"fr": "<em>a</em>"}}]
    assert out["text"] == {"fr": "<p>Un {{g1}}</p>"}
    assert out["gaps"][0]["options"][0]["text"] == {"fr": '<span class="math inline">y</span>'}
    assert out["passage"] == {"fr": [{"text": "Le "},
                                     {"id": "s1", "text": "<strong>chat</strong>"}]}
    assert out["max_selections"] == 2 and out["unit"] == {"fr": "m"}
    assert payload["stem"]["fr"] == "**Q** $x$"  # the payload given is left as it was


def test_every_rich_field_of_content_needs_alt_text_and_is_named() -> None:
    image = "![](/media/o/a.png)"
    cases = {
        "stem": {"stem": {"fr": image}},
        "options": {"stem": "ok", "options": [{"id": "a", "text": {"en": image}}]},
        "premises": {"premises": [{"id": "a", "text": {"fr": image}}]},
        "gaps": {"gaps": [{"id": "g", "options": [{"id": "a", "text": {"fr": image}}]}]},
        "passage": {"passage": {"fr": f"[[s1:chat]] {image}"}},
        "text": {"text": {"fr": '<p><img src="/media/o/a.png"></p>'}},
    }
    for field, content in cases.items():
        with pytest.raises(Invalid) as refused:
            require_alt_text_in(content)
        assert refused.value.code == "image_alt_missing"
        assert refused.value.params["field"] == field
    require_alt_text_in({"stem": {"fr": "![Un chat](/media/o/a.png)"},
                         "options": [{"id": "a", "text": {"fr": "rien"}}]})


def test_comparisons_are_text_and_only_whole_elements_are_html() -> None:
    assert render_text("Si a<b et b>c, alors a<c.") == \
        "<p>Si a&lt;b et b&gt;c, alors a&lt;c.</p>"
    assert render_text("H<sub>2</sub>O, <b>gras</b> et<br>fin") == \
        "<p>H<sub>2</sub>O, <b>gras</b> et<br>fin</p>"
    assert render_text("<i>x</i> <b>y") == "<p><i>x</i> &lt;b&gt;y</p>"
    assert render_run(" si p<q et q>r ") == " si p&lt;q et q&gt;r "
    assert render_text("`a<b c>d`") == "<p><code>a&lt;b c&gt;d</code></p>"
