"""Making untrusted text safe for each output, and the editor's note.

Brief texts come from scraped pages: in HTML they are escaped by Jinja's
autoescape; in Markdown :func:`md_escape` stops them from becoming markup;
in plain text they are wrapped. :func:`clean_text` removes control
characters and the personalisation marker characters from every string that
reaches a template, so that content can never forge a marker.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from urllib.parse import quote, urlsplit

import markdown
import nh3

from digest.model import Edition, Story
from digest.render.typography import typographic

# Personalisation markers are MARK_OPEN + name + MARK_CLOSE (Unicode private
# use characters); clean_text strips both from all content.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
# Whitespace a line may break at: all of it but the non-breaking spaces that
# typography puts between a number and its unit (and a day and its month).
_BREAKS = re.compile(r"[^\S\u00a0\u202f]+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_LINE_START = re.compile(r"^(\s*)([#>+~-]|\d+(?=[.)]))")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_NOTE_TAGS = frozenset(
    {"a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code"}
    | {"pre", "h3", "h4", "hr"}
)


def clean_text(value: str) -> str:
    """``value`` without control characters (CR becomes LF) or marker characters."""
    return _UNSAFE_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def words(value: str) -> list[str]:
    """``value`` split where a line may break (a non-breaking space holds)."""
    return [word for word in _BREAKS.split(value) if word]


def one_line(value: str) -> str:
    """All breaking whitespace (newlines included) collapsed to single spaces,
    trimmed; non-breaking spaces are kept."""
    if type(value) is str:  # not a subclass (Markup): its result is of its own type
        return _one_line(value)
    return " ".join(words(clean_text(value)))


# An archive page asks for its story's text on one line several times (title,
# description, JSON-LD, paragraphs), and its edition's body again: per process,
# each text is collapsed once. Bounded, so memory stays flat.
ONE_LINE_CACHE = 16384


@functools.lru_cache(maxsize=ONE_LINE_CACHE)
def _one_line(value: str) -> str:
    return " ".join(words(clean_text(value)))


def header_line(value: str) -> str:
    """:func:`one_line` with plain spaces only: for a subject or preheader, which
    mail clients show on one line anyway (a non-breaking space there only
    trips up filters and search)."""
    return one_line(value).replace("\u00a0", " ").replace("\u202f", " ")


def paragraphs(value: str) -> list[str]:
    """The text's paragraphs (split at blank lines), each on one line."""
    return [p for p in (one_line(part) for part in _BLANK_LINES.split(value)) if p]


def md_escape(value: str) -> str:
    """Inline text that both CommonMark and Python-Markdown show literally.

    Backslash-escapes emphasis, code, link and escape characters; writes
    ``<``, ``>`` and entity-like ``&`` as entities (Python-Markdown cannot
    backslash-escape ``<``); escapes what would start a block at line start.
    """
    text = _MD_ENTITY.sub("&amp;", value)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    lead, token = match.group(1), match.group(2)
    if token.isdigit():
        return lead + token + "\\"  # "2026." -> "2026\." (the next char is . or ))
    if token == "~":
        return lead + "&#126;"  # a CommonMark fence; Python-Markdown can't escape "~"
    return lead + "\\" + token


def md_paragraphs(value: str) -> str:
    """Each paragraph escaped with :func:`md_escape`, blank lines between them."""
    return "\n\n".join(md_escape(p) for p in paragraphs(value))


def md_inline(value: str) -> str:
    """One line of escaped Markdown (titles, datelines, names)."""
    return md_escape(one_line(value))


def md_url(url: str) -> str:
    """A URL safe inside a Markdown link destination ``[text](URL)``."""
    return quote(clean_text(url), safe="/:?&=#%@+,;~!$*'")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is http(s) or mailto, else ``None`` (no javascript: or data:)."""
    if not url:
        return None
    cleaned = one_line(url)
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return None
    return cleaned if scheme in _SAFE_SCHEMES else None


def fill(text: str, width: int = 72, first: str = "", rest: str = "") -> str:
    """Greedy word wrap (what ``textwrap.fill`` does with ``break_long_words`` and
    ``break_on_hyphens`` off, several times faster): a word longer than the width
    gets a line of its own; ``first`` and ``rest`` prefix the lines."""
    parts = words(text)
    if not parts:
        return ""
    lines: list[str] = []
    current = first + parts[0]
    for word in parts[1:]:
        if len(current) + 1 + len(word) > width:
            lines.append(current)
            current = rest + word
        else:
            current += " " + word
    lines.append(current)
    return "\n".join(lines)


def wrap(value: str, width: int = 72, first: str = "", rest: str = "") -> str:
    """Paragraphs wrapped at ``width``; ``first`` prefixes the first line, ``rest`` the others."""
    out = [
        fill(para, width, first if number == 0 else rest, rest)
        for number, para in enumerate(paragraphs(value))
    ]
    return f"\n{rest.rstrip()}\n".join(out)


def html_block(fragment: str) -> str:
    """Sanitised HTML as one Markdown HTML block (no blank line may end it early)."""
    body = _BLANK_LINES.sub("\n", fragment.strip())
    return f'<div class="note">\n{body}\n</div>'


def wrap_lines(value: str, width: int = 72) -> str:
    """Each line wrapped on its own (for Markdown sources such as the editor's
    note), list items indented under their marker."""
    out: list[str] = []
    for line in clean_text(value).splitlines():
        marker = _LIST_ITEM.match(line)
        hang = " " * len(marker.group(0)) if marker else ""
        out.append(
            fill(line.strip(), width, line[: len(line) - len(line.lstrip())], hang)
            if line.strip()
            else ""
        )
    return "\n".join(out)


def note_to_html(note: str) -> str:
    """The editor's Markdown note as sanitised HTML: no script, event handler or
    javascript: link survives; links open as plain https/mailto links."""
    raw = markdown.markdown(clean_text(note), output_format="html")
    # nh3 decodes character references, so "&#xE000;" would come back as a
    # marker character: clean its output too.
    return clean_text(
        nh3.clean(
            raw,
            tags=set(_NOTE_TAGS),
            attributes={"a": {"href", "title"}},
            url_schemes=set(_SAFE_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    )


def clean_edition(edition: Edition) -> Edition:
    """``edition`` with every string freed of control and marker characters."""
    cleaned: dict[str, Story] = {}

    def story(value: Story) -> Story:
        if value.id not in cleaned:
            cleaned[value.id] = _clean_story(value)
        return cleaned[value.id]

    sections = tuple(
        replace(
            s,
            title=one_line(s.title),
            briefs=tuple(
                replace(b, story=story(b.story), before=_clean_before(b.before)) for b in s.briefs
            ),
        )
        for s in edition.sections
    )
    note = clean_text(edition.note_markdown) if edition.note_markdown else None
    return replace(edition, title=one_line(edition.title), sections=sections, note_markdown=note)


def _clean_story(story: Story) -> Story:
    def opt(value: str | None) -> str | None:
        return one_line(value) if value is not None else None

    title = opt(story.title)
    return replace(
        story,
        title=typographic(title) if title is not None else None,
        dateline=opt(story.dateline),
        agencies=tuple(one_line(a) for a in story.agencies),
        text=typographic(clean_text(story.text)),
        url=safe_url(story.url),
    )


def _clean_before(text: str | None) -> str | None:
    """The text a reader last got, cleaned as the story's own text is, so that
    only real changes differ."""
    return typographic(clean_text(text)) if text is not None else None
