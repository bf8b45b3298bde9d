"""Making untrusted text safe: Markdown escaping, wrapping, URLs, the editor's note."""

from __future__ import annotations

import textwrap
from html import unescape

import markdown
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.render.markup import (
    MARK_CLOSE,
    MARK_OPEN,
    clean_text,
    fill,
    md_escape,
    note_to_html,
    one_line,
    paragraphs,
    safe_url,
    wrap,
    wrap_lines,
)

WORDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=90), max_size=40)


@given(WORDS, st.integers(10, 100), st.sampled_from([("", ""), ("* ", "  "), ("> ", "")]))
def test_fill_wraps_exactly_like_textwrap_without_breaking_words(
    words: list[str], width: int, prefixes: tuple[str, str]
) -> None:
    text = " ".join(words)
    first, rest = prefixes
    expected = textwrap.fill(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert fill(text, width, first, rest) == expected


def test_wrap_keeps_paragraphs_apart_and_hangs_the_rest() -> None:
    text = "Een " * 30 + "\r\n\r\nTwee\u00a0woorden.\n"
    assert wrap(text, 41, "* ", "  ").splitlines() == [
        "* Een Een Een Een Een Een Een Een Een Een",
        "  Een Een Een Een Een Een Een Een Een Een",
        "  Een Een Een Een Een Een Een Een Een Een",
        "",
        "  Twee\u00a0woorden.",  # a non-breaking space holds (ingest stores none)
    ]


def test_wrap_lines_indents_list_items_under_their_marker() -> None:
    note = "- " + "lang " * 12 + "\n\nkort"
    assert wrap_lines(note, 30).splitlines() == [
        "- lang lang lang lang lang",
        "  lang lang lang lang lang",
        "  lang lang",
        "",
        "kort",
    ]


def test_clean_text_drops_controls_and_marker_characters() -> None:
    assert clean_text(f"a\x00b\x1b[31m\r\nc{MARK_OPEN}name{MARK_CLOSE}\td") == "ab[31m\ncname\td"
    assert paragraphs("  een\n twee \n\n\n drie ") == ["een twee", "drie"]


LITERAL_LINES = [
    *("- lijst", "+ lijst", "* lijst", "1. lijst", "2026) jaar", "# kop", "> citaat"),
    *("--- regel", "~~~ fence", "```code```", "<div>blok</div>", "[a](b)", "![a](b)"),
    *("&amp; &copy;", "\\*", "_x_ __y__"),
]


@pytest.mark.parametrize("line", LITERAL_LINES)
def test_markdown_escape_keeps_text_literal(line: str) -> None:
    html = markdown.markdown(md_escape(line))
    assert html.startswith("<p>") and html.endswith("</p>")
    assert unescape(html[3:-4]) == line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("mailto:redactie@example.org", "mailto:redactie@example.org"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url_allows_only_web_and_mail_links(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_note_keeps_formatting_and_drops_scripts_handlers_and_bad_links() -> None:
    html = note_to_html(
        "**Let op** [hier](https://example.org) [x](javascript:alert(1))\n\n"
        "<script>alert(2)</script><img src=x onerror=alert(3)>"
        '<a href="JaVaScRiPt:alert(4)" onclick="alert(5)">y</a>'
    )
    assert "<strong>Let op</strong>" in html
    assert 'href="https://example.org"' in html
    lowered = html.lower()
    assert "script" not in lowered and "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered and "<img" not in lowered


def test_note_cannot_smuggle_markers_through_character_references() -> None:
    html = note_to_html("x &#xE000;name&#xE001; &#57344;unsubscribe_url&#57345;")
    assert MARK_OPEN not in html and MARK_CLOSE not in html


def test_a_line_never_breaks_at_a_non_breaking_space() -> None:
    text = "zeker 3.700\u00a0doden " * 5
    lines = wrap(text, 24).splitlines()
    assert all(line.count("3.700") == line.count("3.700\u00a0doden") for line in lines)
    assert one_line(" a\u00a0b \n c ") == "a\u00a0b c"


@given(st.text(alphabet=st.sampled_from(list("ab \n\t\r\u00a0\u202f\x00\u2028<&")), max_size=30))
def test_one_line_kept_per_text_is_the_plain_rule(value: str) -> None:
    from markupsafe import Markup

    from digest.render.markup import words

    plain = " ".join(words(clean_text(value)))
    assert one_line(value) == plain
    assert one_line(value) == plain  # from the cache
    assert type(one_line(value)) is str
    marked = Markup(value)  # a Markup's own methods keep it Markup: never the cached str
    assert type(one_line(marked)) is type(" ".join(words(clean_text(marked))))
